import fp from 'fastify-plugin'
import type { Core } from '../src/core.js'

/** Connects the adapter at start-up and closes it after the clients are gone. */
export default fp<{ core: Core }>(async function pubsubPlugin (scope, { core }) {
  const { adapter, hub, options } = core
  await adapter.connect()
  // an unreachable broker does not stop start-up: /health answers 503 until the adapter has reconnected
  scope.log.info({ adapter: adapter.name, channel: options.pubsubChannel, instanceId: hub.instanceId, connected: adapter.isConnected }, 'PubSub adapter configured')
  scope.addHook('onClose', () => adapter.close())
}, { name: 'ws-pubsub', dependencies: ['ws-hub'] })

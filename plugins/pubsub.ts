import fp from 'fastify-plugin'
import { effectiveAdapter } from '../src/config/env.js'
import { createAdapter } from '../src/pubsub/create.js'
import { Fanout } from '../src/pubsub/fanout.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Carries broadcasts between instances; `local` loops back in-process. */
    wsPubsub: Fanout
  }
}

export default fp(async function pubsubPlugin (fastify) {
  const config = fastify.wsConfig
  const adapter = createAdapter(config, fastify.log)
  const pubsub = new Fanout(adapter, fastify.wsHub, fastify.wsMetrics)
  await adapter.connect()
  // an unreachable broker does not stop start-up: /health answers 503 until the adapter has reconnected
  fastify.log.info({ adapter: effectiveAdapter(config), channel: config.WS_PUBSUB_CHANNEL, instanceId: fastify.wsHub.instanceId, connected: adapter.isConnected }, 'PubSub adapter configured')
  fastify.decorate('wsPubsub', pubsub)
  fastify.addHook('onClose', () => adapter.close())
}, { name: 'ws-pubsub', dependencies: ['ws-config', 'ws-hub'] })

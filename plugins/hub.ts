import fp from 'fastify-plugin'
import type { Core } from '../src/core.js'
import { startHeartbeat } from '../src/hub/heartbeat.js'
import { shutDown } from '../src/hub/shutdown.js'

/** The hub's life: one heartbeat timer; on close, what was read is answered, then every client is closed with 1001. */
export default fp<{ core: Core }>(async function hubPlugin (scope, { core }) {
  const { hub, options } = core
  const stopHeartbeat = startHeartbeat(hub, options.heartbeatIntervalMs)
  scope.addHook('preClose', async () => {
    stopHeartbeat()
    await shutDown(hub, options.shutdownTimeoutMs)
  })
}, { name: 'ws-hub' })

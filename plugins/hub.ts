import fp from 'fastify-plugin'
import { CloseCode } from '../src/close-codes.js'
import type { Core } from '../src/core.js'
import { startHeartbeat } from '../src/hub/heartbeat.js'

/** The hub's life: one heartbeat timer, and every client closed with 1001 when the app closes. */
export default fp<{ core: Core }>(async function hubPlugin (scope, { core }) {
  const { hub, options } = core
  const stopHeartbeat = startHeartbeat(hub, options.heartbeatIntervalMs)
  scope.addHook('preClose', async () => {
    stopHeartbeat()
    await hub.closeAll(CloseCode.GoingAway, 'server shutting down', options.shutdownTimeoutMs)
  })
}, { name: 'ws-hub' })

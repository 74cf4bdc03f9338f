import fp from 'fastify-plugin'
import type { Core } from '../src/core.js'
import { startHeartbeat } from '../src/hub/heartbeat.js'

/**
 * The hub's life: one heartbeat timer; on close, the drain (unless `app.wsHub.drain()` began it: the delay, then
 * clients closed with 1001 batch by batch over the spread), then what was read is answered and the rest closed.
 */
export default fp<{ core: Core }>(async function hubPlugin (scope, { core }) {
  const { hub, options, shutdown } = core
  const stopHeartbeat = startHeartbeat(hub, options.heartbeatIntervalMs)
  scope.addHook('preClose', async () => {
    // clients are pinged while they are served; after the drain, the rest are no longer read (a pong included)
    await shutdown.drain()
    stopHeartbeat()
    await shutdown.close()
  })
}, { name: 'ws-hub' })

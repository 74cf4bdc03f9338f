import fp from 'fastify-plugin'
import { CloseCode } from '../src/close-codes.js'
import { startHeartbeat } from '../src/hub/heartbeat.js'
import { Hub } from '../src/hub/hub.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Every connection of this instance. */
    wsHub: Hub
  }
}

export default fp(async function hubPlugin (fastify) {
  const config = fastify.wsConfig
  const hub = new Hub({
    instanceId: config.WS_INSTANCE_ID,
    maxBufferedBytes: config.WS_MAX_BUFFERED_BYTES,
    deflate: config.WS_PERMESSAGE_DEFLATE,
    metrics: fastify.wsMetrics,
    log: fastify.log
  })
  const stopHeartbeat = startHeartbeat(hub, config.WS_HEARTBEAT_INTERVAL_MS)
  fastify.decorate('wsHub', hub)
  fastify.addHook('preClose', async () => {
    stopHeartbeat()
    await hub.closeAll(CloseCode.GoingAway, 'server shutting down', config.WS_SHUTDOWN_TIMEOUT_MS)
  })
}, { name: 'ws-hub', dependencies: ['ws-config', 'ws-metrics'] })

import type { FastifyInstance } from 'fastify'
import type { Core } from '../src/core.js'

// probes come every few seconds from every kubelet and balancer: an info line each would drown the log
const PROBE_LOG_LEVEL = 'warn'

export default async function healthRoute (scope: FastifyInstance, { core }: { core: Core }) {
  const { adapter, hub, options } = core
  scope.get('/health', { logLevel: PROBE_LOG_LEVEL }, async (_request, reply) => {
    const connected = adapter.isConnected
    // 503 tells the load balancer this instance cannot take part in cross-instance broadcasts right now
    reply.code(connected ? 200 : 503)
    return {
      status: connected ? 'ok' : 'degraded',
      instanceId: hub.instanceId,
      connections: hub.size,
      pubsub: { adapter: adapter.name, channel: options.pubsubChannel, connected }
    }
  })
  // liveness: answering at all is the proof; a restart would not mend a broker outage, so it is not consulted
  scope.get('/health/live', { logLevel: PROBE_LOG_LEVEL }, async () => ({ status: 'ok' }))
  // readiness: whether new clients should be sent here
  scope.get('/health/ready', { logLevel: PROBE_LOG_LEVEL }, async (_request, reply) => {
    const status = hub.isDraining || hub.isStopping ? 'stopping' : adapter.isConnected ? 'ready' : 'degraded'
    reply.code(status === 'ready' ? 200 : 503)
    return { status }
  })
}

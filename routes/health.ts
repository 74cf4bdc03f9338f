import type { FastifyInstance } from 'fastify'
import { effectiveAdapter } from '../src/config/env.js'

export default async function healthRoute (fastify: FastifyInstance) {
  const adapter = effectiveAdapter(fastify.wsConfig)
  const channel = fastify.wsConfig.WS_PUBSUB_CHANNEL
  fastify.get('/health', async (_request, reply) => {
    const connected = fastify.wsPubsub.adapter.isConnected
    // 503 tells the load balancer this instance cannot take part in cross-instance broadcasts right now
    reply.code(connected ? 200 : 503)
    return {
      status: connected ? 'ok' : 'degraded',
      instanceId: fastify.wsHub.instanceId,
      connections: fastify.wsHub.size,
      pubsub: { adapter, channel, connected }
    }
  })
}

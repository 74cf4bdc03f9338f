import type { FastifyInstance } from 'fastify'
import type { Core } from '../src/core.js'

export default async function healthRoute (scope: FastifyInstance, { core }: { core: Core }) {
  const { adapter, hub, options } = core
  scope.get('/health', async (_request, reply) => {
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
}

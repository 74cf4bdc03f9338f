import type { FastifyInstance } from 'fastify'

export default async function metricsRoute (fastify: FastifyInstance) {
  const registry = fastify.wsMetricsRegistry
  fastify.get('/metrics', async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
}

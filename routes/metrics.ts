import type { FastifyInstance } from 'fastify'

export default async function metricsRoute (fastify: FastifyInstance) {
  const registry = fastify.wsMetricsRegistry
  // no client token here (scrapers are infrastructure); WS_METRICS_TOKEN, when set, guards it instead
  fastify.get('/metrics', { onRequest: fastify.wsAuthenticateMetrics }, async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
}

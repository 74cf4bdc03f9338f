import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import type { Registry } from 'prom-client'

export interface MetricsRouteOptions {
  registry: Registry
  /** `metricsToken`'s check; client tokens do not apply here (scrapers are infrastructure). */
  authenticate: onRequestHookHandler
}

export default async function metricsRoute (scope: FastifyInstance, { registry, authenticate }: MetricsRouteOptions) {
  // scrapes come every few seconds: an info line each would drown the log
  scope.get('/metrics', { onRequest: authenticate, logLevel: 'warn' }, async (_request, reply) => {
    reply.type(registry.contentType)
    return registry.metrics()
  })
}

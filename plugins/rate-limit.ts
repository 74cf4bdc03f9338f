import fp from 'fastify-plugin'
import fastifyRateLimit from '@fastify/rate-limit'
import type { onRequestHookHandler } from 'fastify'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for `/ws`: 429 with Retry-After past WS_RATE_LIMIT_MAX upgrades per window per IP. */
    wsRateLimit: onRequestHookHandler
  }
}

export default fp(async function rateLimitPlugin (fastify) {
  const config = fastify.wsConfig
  if (!config.WS_RATE_LIMIT_ENABLED) {
    fastify.decorate('wsRateLimit', function noLimit (_request, _reply, done) { done() } as onRequestHookHandler)
    return
  }
  const metrics = fastify.wsMetrics
  await fastify.register(fastifyRateLimit, { global: false })
  fastify.decorate('wsRateLimit', fastify.rateLimit({
    max: config.WS_RATE_LIMIT_MAX,
    timeWindow: config.WS_RATE_LIMIT_WINDOW_MS,
    onExceeded () { metrics.rateLimited.inc() }
  }) as onRequestHookHandler)
}, { name: 'ws-rate-limit', dependencies: ['ws-config', 'ws-metrics'] })

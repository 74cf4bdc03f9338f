import fp from 'fastify-plugin'
import fastifyRateLimit from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import type { onRequestHookHandler } from 'fastify'
import { effectiveAdapter } from '../src/config/env.js'
import { MessageRate } from '../src/rate/message-rate.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for `/ws`: 429 with Retry-After past WS_RATE_LIMIT_MAX upgrades per window per IP. */
    wsRateLimit: onRequestHookHandler
    /** Per-connection token bucket for frames; undefined when rate limiting is off. */
    wsMessageRate: MessageRate | undefined
  }
}

export default fp(async function rateLimitPlugin (fastify) {
  const config = fastify.wsConfig
  if (!config.WS_RATE_LIMIT_ENABLED) {
    fastify.decorate('wsRateLimit', function noLimit (_request, _reply, done) { done() } as onRequestHookHandler)
    fastify.decorate('wsMessageRate', undefined)
    return
  }
  const metrics = fastify.wsMetrics
  const redis = effectiveAdapter(config) === 'redis' ? await connectStore(fastify, config.WS_REDIS_URL) : undefined
  await fastify.register(fastifyRateLimit, {
    global: false,
    redis,
    // one counter per deployment: instances sharing a channel share the limit, other deployments on the same Redis do not
    nameSpace: `ws-rate-limit:${config.WS_PUBSUB_CHANNEL}:`,
    // a Redis outage must not turn into a refused-everything outage: the limit fails open and says so in the log
    skipOnError: true
  })
  fastify.decorate('wsRateLimit', fastify.rateLimit({
    max: config.WS_RATE_LIMIT_MAX,
    timeWindow: config.WS_RATE_LIMIT_WINDOW_MS,
    onExceeded () { metrics.rateLimited.inc() }
  }) as onRequestHookHandler)
  fastify.decorate('wsMessageRate', new MessageRate({
    perSecond: config.WS_MESSAGE_RATE_PER_SECOND,
    burst: config.WS_MESSAGE_BURST,
    floodLimit: config.WS_MESSAGE_FLOOD_LIMIT
  }))
}, { name: 'ws-rate-limit', dependencies: ['ws-config', 'ws-metrics'] })

/** Its own connection: the pub/sub adapter's subscriber cannot run commands, and its lifecycle is the adapter's. */
async function connectStore (fastify: import('fastify').FastifyInstance, url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    // no queue while disconnected: a command fails at once and skipOnError lets the request through
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: 'ws-rate-limit'
  })
  let warned = false
  redis.on('error', (err) => {
    if (!warned) fastify.log.warn({ err }, 'rate-limit store unreachable: the HTTP rate limit is not enforced until it is back')
    warned = true
  })
  redis.on('ready', () => { warned = false })
  fastify.addHook('onClose', async () => { redis.disconnect() })
  await redis.connect().catch(() => {})
  return redis
}

import fastifyRateLimit from '@fastify/rate-limit'
import { Redis } from 'ioredis'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import { CloseCode } from '../src/close-codes.js'
import type { Core } from '../src/core.js'
import { refuseInBand } from './in-band-refusal.js'

/**
 * The `/ws` onRequest hook: 429 with Retry-After past `rateLimitMax` upgrades per window per IP (with `refuseInBand`,
 * an upgrade is closed with 4429 instead); a no-op when off.
 */
export async function rateLimitHook (scope: FastifyInstance, core: Core): Promise<onRequestHookHandler> {
  const { options, metrics } = core
  if (!options.rateLimitEnabled) return function noLimit (_request, _reply, done) { done() }
  const redis = options.pubsubAdapter === 'redis' && core.adapter.name === 'redis' ? await connectStore(scope, options.redisUrl) : undefined
  await scope.register(fastifyRateLimit, {
    global: false,
    redis,
    // one counter per deployment: instances sharing a channel share the limit, other deployments on the same Redis do not
    nameSpace: `ws-rate-limit:${options.pubsubChannel}:`,
    // a Redis outage must not turn into a refused-everything outage: the limit fails open and says so in the log
    skipOnError: true
  })
  const limit = scope.rateLimit({
    max: options.rateLimitMax,
    timeWindow: options.rateLimitWindowMs,
    onExceeded () { metrics.rateLimited.inc() }
  }) as (request: FastifyRequest, reply: FastifyReply) => Promise<void>
  if (!options.refuseInBand) return limit as onRequestHookHandler
  // the limiter refuses by throwing its 429 (after onExceeded counted it); an upgrade's is turned into 4429
  return function limitInBand (request, reply, done) {
    limit(request, reply).then(() => done(), (err: { statusCode?: number }) => {
      if (err?.statusCode === 429 && refuseInBand(true, request, CloseCode.RateLimited, 'rate limit exceeded')) done()
      else done(err as Error)
    })
  }
}

/** Its own connection: the pub/sub adapter's subscriber cannot run commands, and its lifecycle is the adapter's. */
async function connectStore (scope: FastifyInstance, url: string): Promise<Redis> {
  const redis = new Redis(url, {
    lazyConnect: true,
    // no queue while disconnected: a command fails at once and skipOnError lets the request through
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: 'ws-rate-limit'
  })
  let warned = false
  redis.on('error', (err) => {
    if (!warned) scope.log.warn({ err }, 'rate-limit store unreachable: the HTTP rate limit is not enforced until it is back')
    warned = true
  })
  redis.on('ready', () => { warned = false })
  scope.addHook('onClose', async () => { redis.disconnect() })
  await redis.connect().catch(() => {})
  return redis
}

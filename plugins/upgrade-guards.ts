import type { onRequestHookHandler } from 'fastify'
import { CloseCode } from '../src/close-codes.js'
import type { Core } from '../src/core.js'
import { OriginList } from '../src/limits/origin-list.js'
import { refuseInBand } from './in-band-refusal.js'

/**
 * onRequest hooks for `/ws`: 403 when `Origin` is not in `allowedOrigins` (empty: any origin), 503 once this
 * instance holds `maxConnections` clients or has begun to drain; with `refuseInBand`, 4403 and 4503 after the
 * upgrade instead. Answered here rather than thrown: a full server under a connection storm must not log an error
 * per refusal.
 */
export function upgradeGuards (core: Core): { checkOrigin: onRequestHookHandler, checkCapacity: onRequestHookHandler } {
  const origins = OriginList.parse(core.options.allowedOrigins)
  const { maxConnections, refuseInBand: inBand } = core.options
  const hub = core.hub
  return {
    checkOrigin (request, reply, done) {
      if (origins.allows(request.headers.origin)) return done()
      request.log.info({ origin: request.headers.origin }, 'upgrade refused: origin not allowed')
      if (refuseInBand(inBand, request, CloseCode.Forbidden, 'origin not allowed')) return done()
      reply.code(403).send({ statusCode: 403, code: 'WS_ERR_ORIGIN', error: 'Forbidden', message: 'origin not allowed' })
    },
    checkCapacity (request, reply, done) {
      if (hub.isDraining) {
        if (refuseInBand(inBand, request, CloseCode.Unavailable, 'server shutting down')) return done()
        // a balancer that retries on 503 (deploy/nginx.conf) sends the client to another instance at once
        reply.code(503).header('retry-after', '1')
          .send({ statusCode: 503, code: 'WS_ERR_SHUTTING_DOWN', error: 'Service Unavailable', message: 'server shutting down' })
        return
      }
      if (hub.size < maxConnections) return done()
      request.log.debug('upgrade refused: connection limit reached')
      if (refuseInBand(inBand, request, CloseCode.Unavailable, 'connection limit reached')) return done()
      reply.code(503).header('retry-after', '1')
        .send({ statusCode: 503, code: 'WS_ERR_SERVER_FULL', error: 'Service Unavailable', message: 'connection limit reached' })
    }
  }
}

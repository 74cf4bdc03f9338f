import fp from 'fastify-plugin'
import fastifyBearerAuth from '@fastify/bearer-auth'
import type { FastifyRequest, onRequestHookHandler } from 'fastify'
import { TokenSet } from '../src/auth/token-set.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for `/ws`: 401 before any upgrade unless the bearer token is valid. No-op when auth is off. */
    wsAuthenticate: onRequestHookHandler
    /** onRequest hook for `/metrics`: 401 unless `WS_METRICS_TOKEN` is presented. No-op when that knob is empty. */
    wsAuthenticateMetrics: onRequestHookHandler
  }
  interface FastifyRequest {
    /** Non-secret label of the token that authenticated this request (`token-0`, `token-1`, ...). */
    wsIdentity: string | undefined
  }
}

type Factory = fastifyBearerAuth.verifyBearerAuthFactory

const pass: onRequestHookHandler = function pass (_request, _reply, done) { done() }

export default fp(async function authPlugin (fastify) {
  const config = fastify.wsConfig
  fastify.decorateRequest('wsIdentity', undefined)
  // registered without its hook, only for its factory: /ws and /metrics each get their own token check
  await fastify.register(fastifyBearerAuth, { addHook: false, keys: [], verifyErrorLogLevel: 'debug' })
  const factory = fastify.verifyBearerAuthFactory!

  const metricsToken = new TokenSet(config.WS_METRICS_TOKEN === '' ? [] : [config.WS_METRICS_TOKEN])
  fastify.decorate('wsAuthenticateMetrics', metricsToken.size === 0
    ? pass
    : bearerHook(factory, (token) => metricsToken.identify(token) !== undefined, () => {}))

  if (!config.WS_AUTH_ENABLED) {
    fastify.decorate('wsAuthenticate', pass)
    return
  }
  const tokens = TokenSet.parse(config.WS_BEARER_TOKENS)
  const metrics = fastify.wsMetrics
  fastify.decorate('wsAuthenticate', bearerHook(factory, (token, request) => {
    const identity = tokens.identify(token)
    request.wsIdentity = identity
    return identity !== undefined
  }, () => metrics.authFailures.inc()))
}, { name: 'ws-auth', dependencies: ['ws-config', 'ws-metrics'] })

/**
 * An onRequest hook answering 401 with `WWW-Authenticate` (RFC 6750 §3) unless `accept` takes the token.
 * With `addHook: false` bearer-auth hands its 401 to `done` and never calls `errorResponse`, so failures are counted here.
 */
function bearerHook (factory: Factory, accept: (token: string, request: FastifyRequest) => boolean, onFailure: () => void): onRequestHookHandler {
  const verify = factory({
    keys: [],
    addHook: false,
    // RFC 7235 §2.1: the scheme name is case-insensitive, so `bearer x` passes; `Basic x` and a bare token do not
    specCompliance: 'rfc6749',
    verifyErrorLogLevel: 'debug',
    auth: accept
  })
  return function authenticate (request, reply, done) {
    // RFC 6750 §2.3: browsers cannot set headers on a WebSocket, so the token may ride in the query
    const query = request.query as Record<string, unknown>
    const fromQuery = typeof query.access_token === 'string' ? query.access_token : undefined
    const presented = request.headers.authorization !== undefined || fromQuery !== undefined
    if (request.headers.authorization === undefined && fromQuery !== undefined) {
      request.raw.headers.authorization = `Bearer ${fromQuery}`
    }
    verify(request, reply, (err) => {
      if (err !== undefined) {
        onFailure()
        // §3.1: a request that carried no credentials gets the bare challenge, without an error code
        reply.header('www-authenticate', presented ? 'Bearer error="invalid_token"' : 'Bearer')
      }
      done(err)
    })
  }
}

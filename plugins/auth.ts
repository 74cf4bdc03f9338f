import fp from 'fastify-plugin'
import fastifyBearerAuth from '@fastify/bearer-auth'
import type { onRequestHookHandler } from 'fastify'
import { TokenSet } from '../src/auth/token-set.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for `/ws`: 401 before any upgrade unless the bearer token is valid. No-op when auth is off. */
    wsAuthenticate: onRequestHookHandler
  }
  interface FastifyRequest {
    /** Non-secret label of the token that authenticated this request (`token-0`, `token-1`, ...). */
    wsIdentity: string | undefined
  }
}

export default fp(async function authPlugin (fastify) {
  const config = fastify.wsConfig
  fastify.decorateRequest('wsIdentity', undefined)
  if (!config.WS_AUTH_ENABLED) {
    fastify.decorate('wsAuthenticate', function noAuth (_request, _reply, done) { done() } as onRequestHookHandler)
    return
  }
  const tokens = TokenSet.parse(config.WS_BEARER_TOKENS)
  const metrics = fastify.wsMetrics
  await fastify.register(fastifyBearerAuth, {
    addHook: false,
    keys: [],
    verifyErrorLogLevel: 'debug',
    auth (token, request) {
      const identity = tokens.identify(token)
      request.wsIdentity = identity
      return identity !== undefined
    },
    errorResponse (err) {
      metrics.authFailures.inc()
      return { error: err.message }
    }
  })
  const verify = fastify.verifyBearerAuth!
  fastify.decorate('wsAuthenticate', function authenticate (request, reply, done) {
    // RFC 6750 §2.3: browsers cannot set headers on a WebSocket, so the token may ride in the query
    const query = request.query as Record<string, unknown>
    if (request.headers.authorization === undefined && typeof query.access_token === 'string') {
      request.headers.authorization = `Bearer ${query.access_token}`
    }
    verify(request, reply, done)
  } as onRequestHookHandler)
}, { name: 'ws-auth', dependencies: ['ws-config', 'ws-metrics'] })

import fastifyBearerAuth from '@fastify/bearer-auth'
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify'
import type { Core } from '../src/core.js'
import { TokenSet } from '../src/auth/token-set.js'

type Factory = fastifyBearerAuth.verifyBearerAuthFactory

export interface AuthHooks {
  /** For `/ws`: 401 before any upgrade unless the bearer token is valid. A no-op when auth is off. */
  authenticate: onRequestHookHandler
  /** For `/metrics`: 401 unless `metricsToken` is presented. A no-op when that option is empty. */
  authenticateMetrics: onRequestHookHandler
  /** For `/api`: 401 unless one of `apiKeys` is presented; with no keys, every request is refused. */
  authenticateApi: onRequestHookHandler
}

const pass: onRequestHookHandler = function pass (_request, _reply, done) { done() }

/** Non-secret label of the token each upgrade request authenticated with; kept off the host's request type. */
const identities = new WeakMap<FastifyRequest, string>()

export function identityOf (request: FastifyRequest): string | undefined {
  return identities.get(request)
}

export async function authHooks (scope: FastifyInstance, core: Core): Promise<AuthHooks> {
  const { options, metrics } = core
  // registered without its hook, only for its factory: /ws and /metrics each get their own token check
  await scope.register(fastifyBearerAuth, { addHook: false, keys: [], verifyErrorLogLevel: 'debug' })
  const factory = scope.verifyBearerAuthFactory!

  const metricsToken = new TokenSet(options.metricsToken === '' ? [] : [options.metricsToken])
  const authenticateMetrics = metricsToken.size === 0
    ? pass
    : bearerHook(factory, (token) => metricsToken.identify(token) !== undefined, () => {})
  const apiKeys = TokenSet.parse(options.apiKeys)
  const authenticateApi = bearerHook(factory, (token) => apiKeys.identify(token) !== undefined, () => metrics.authFailures.inc())
  if (!options.authEnabled) return { authenticate: pass, authenticateMetrics, authenticateApi }

  const tokens = TokenSet.parse(options.bearerTokens)
  const authenticate = bearerHook(factory, (token, request) => {
    const identity = tokens.identify(token)
    if (identity !== undefined) identities.set(request, identity)
    return identity !== undefined
  }, () => metrics.authFailures.inc())
  return { authenticate, authenticateMetrics, authenticateApi }
}

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

import fastifyBearerAuth from '@fastify/bearer-auth'
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify'
import { AuthRefusal, type AuthFailureReason, type Credential } from '../src/auth/credential.js'
import { jwtKeyOf } from '../src/auth/jwt-key.js'
import type { Core } from '../src/core.js'
import { TokenSet } from '../src/auth/token-set.js'
import { jwtVerifier } from './jwt.js'

type Factory = fastifyBearerAuth.verifyBearerAuthFactory

export interface AuthHooks {
  /** For `/ws`: 401 before any upgrade unless the bearer token (static or JWT) is valid. A no-op when auth is off. */
  authenticate: onRequestHookHandler
  /** For `/metrics`: 401 unless `metricsToken` is presented. A no-op when that option is empty. */
  authenticateMetrics: onRequestHookHandler
  /** For `/api`: 401 unless one of `apiKeys` is presented; with no keys, every request is refused. */
  authenticateApi: onRequestHookHandler
}

const pass: onRequestHookHandler = function pass (_request, _reply, done) { done() }

/** What each upgrade request authenticated as (never the token itself); kept off the host's request type. */
const credentials = new WeakMap<FastifyRequest, Credential>()
/** Why a presented token was refused, for the metric's `reason` label. */
const refusals = new WeakMap<FastifyRequest, AuthFailureReason>()

export function credentialOf (request: FastifyRequest): Credential | undefined {
  return credentials.get(request)
}

export async function authHooks (scope: FastifyInstance, core: Core): Promise<AuthHooks> {
  const { options, metrics } = core
  // registered without its hook, only for its factory: /ws and /metrics each get their own token check
  await scope.register(fastifyBearerAuth, { addHook: false, keys: [], verifyErrorLogLevel: 'debug' })
  const factory = scope.verifyBearerAuthFactory!
  const countFailure = (reason: AuthFailureReason) => metrics.authFailures.labels(reason).inc()

  const metricsToken = new TokenSet(options.metricsToken === '' ? [] : [options.metricsToken])
  const authenticateMetrics = metricsToken.size === 0
    ? pass
    : bearerHook(factory, (token) => metricsToken.identify(token) !== undefined, () => {})
  const apiKeys = TokenSet.parse(options.apiKeys)
  const authenticateApi = bearerHook(factory, (token) => apiKeys.identify(token) !== undefined, countFailure)
  if (!options.authEnabled) return { authenticate: pass, authenticateMetrics, authenticateApi }

  const jwtKey = jwtKeyOf(options)
  if (jwtKey !== undefined) core.auth.useJwt(await jwtVerifier(scope, jwtKey, options))
  const authenticate = bearerHook(factory, async (token, request) => {
    try {
      const credential = await core.auth.authenticate(token)
      credentials.set(request, credential)
      request.log.debug({ user: credential.identity }, 'token accepted')
      return true
    } catch (err) {
      if (!(err instanceof AuthRefusal)) throw err
      refusals.set(request, err.reason)
      request.log.debug({ reason: err.reason, why: err.message }, 'token refused')
      return false
    }
  }, countFailure)
  return { authenticate, authenticateMetrics, authenticateApi }
}

/**
 * An onRequest hook answering 401 with `WWW-Authenticate` (RFC 6750 §3) unless `accept` takes the token.
 * With `addHook: false` bearer-auth hands its 401 to `done` and never calls `errorResponse`, so failures are counted here.
 */
function bearerHook (
  factory: Factory,
  accept: (token: string, request: FastifyRequest) => boolean | Promise<boolean>,
  onFailure: (reason: AuthFailureReason) => void
): onRequestHookHandler {
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
      // a 500 (the check itself threw) is not an auth failure
      if (err !== undefined && reply.statusCode === 401) {
        onFailure(refusals.get(request) ?? (presented ? 'invalid' : 'missing'))
        // §3.1: a request that carried no credentials gets the bare challenge, without an error code
        reply.header('www-authenticate', presented ? 'Bearer error="invalid_token"' : 'Bearer')
      }
      done(err)
    })
  }
}

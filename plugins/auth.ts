import fastifyBearerAuth from '@fastify/bearer-auth'
import { createError } from '@fastify/error'
import type { FastifyInstance, FastifyRequest, onRequestHookHandler } from 'fastify'
import { splitBearerProtocol } from '../src/auth/bearer-protocol.js'
import { AuthRefusal, type AuthFailureReason, type Credential } from '../src/auth/credential.js'
import { CloseCode } from '../src/close-codes.js'
import { jwtKeyOf } from '../src/auth/jwt-key.js'
import type { Core } from '../src/core.js'
import { TokenSet } from '../src/auth/token-set.js'
import { refuseInBand } from './in-band-refusal.js'
import { jwtVerifier } from './jwt.js'

type Factory = fastifyBearerAuth.verifyBearerAuthFactory

export interface AuthHooks {
  /**
   * For `/ws`, first of its hooks: takes a `bearer.<base64url>` entry off `Sec-WebSocket-Protocol`, so that neither
   * `ws` (which would echo it) nor a log sees it, and keeps its token for `authenticate`. Runs with auth off too.
   */
  takeProtocolToken: onRequestHookHandler
  /**
   * For `/ws`: 401 before any upgrade unless the bearer token (static or JWT) is valid; with `refuseInBand`, 4401
   * after it. A no-op when auth is off.
   */
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
/** The token each upgrade offered as a `bearer.` protocol; null when that entry held none. */
const protocolTokens = new WeakMap<FastifyRequest, string | null>()

const BearerProtocolError = createError('WS_ERR_BEARER_PROTOCOL', 'the bearer. protocol does not carry a base64url token', 401)

const takeProtocolToken: onRequestHookHandler = function takeProtocolToken (request, _reply, done) {
  const headers = request.raw.headers
  const offered = headers['sec-websocket-protocol']
  if (offered === undefined) return done()
  const { rest, token } = splitBearerProtocol(offered)
  if (token === undefined) return done()
  protocolTokens.set(request, token)
  if (rest === undefined) delete headers['sec-websocket-protocol']
  else headers['sec-websocket-protocol'] = rest
  // the header as received, for whatever reads rawHeaders
  const raw = request.raw.rawHeaders
  for (let i = raw.length - 2; i >= 0; i -= 2) {
    if (raw[i]!.toLowerCase() !== 'sec-websocket-protocol') continue
    const left = splitBearerProtocol(raw[i + 1]!).rest
    if (left === undefined) raw.splice(i, 2)
    else raw[i + 1] = left
  }
  done()
}

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
  if (!options.authEnabled) return { takeProtocolToken, authenticate: pass, authenticateMetrics, authenticateApi }

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
  }, countFailure, { inBand: options.refuseInBand })
  return { takeProtocolToken, authenticate, authenticateMetrics, authenticateApi }
}

/** What `/ws` adds to a bearer check: the token may come as a subprotocol, and a refusal may go in-band. */
interface UpgradeAuth {
  /** WS_REFUSE_IN_BAND: an upgrade is closed with 4401 rather than answered 401. */
  inBand: boolean
}

/**
 * An onRequest hook answering 401 with `WWW-Authenticate` (RFC 6750 §3) unless `accept` takes the token.
 * With `addHook: false` bearer-auth hands its 401 to `done` and never calls `errorResponse`, so failures are counted here.
 * The token comes from the Authorization header, else the `access_token` query, else (with `upgrade`, for `/ws`) the
 * `bearer.` protocol that `takeProtocolToken` took.
 */
function bearerHook (
  factory: Factory,
  accept: (token: string, request: FastifyRequest) => boolean | Promise<boolean>,
  onFailure: (reason: AuthFailureReason) => void,
  upgrade?: UpgradeAuth
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
    const fromHeader = request.headers.authorization
    // RFC 6750 §2.3: browsers cannot set headers on a WebSocket, so the token may ride in the query
    const query = request.query as Record<string, unknown>
    const fromQuery = typeof query.access_token === 'string' ? query.access_token : undefined
    // or in the offered protocols, which a browser can set; the header and the query come first
    const fromProtocol = upgrade !== undefined && fromHeader === undefined && fromQuery === undefined ? protocolTokens.get(request) : undefined
    const presented = fromHeader !== undefined || fromQuery !== undefined || fromProtocol !== undefined
    const finish = (err?: Error) => {
      // a 500 (the check itself threw) is not an auth failure
      if (err === undefined || reply.statusCode !== 401) return done(err)
      const reason = refusals.get(request) ?? (presented ? 'invalid' : 'missing')
      onFailure(reason)
      if (refuseInBand(upgrade?.inBand ?? false, request, CloseCode.TokenExpired, `token ${reason}`)) {
        reply.code(200)
        return done()
      }
      // §3.1: a request that carried no credentials gets the bare challenge, without an error code
      reply.header('www-authenticate', presented ? 'Bearer error="invalid_token"' : 'Bearer')
      done(err)
    }
    if (fromProtocol === null) {
      request.log.debug({ reason: 'invalid', why: 'a bearer. protocol without a base64url token' }, 'token refused')
      reply.code(401)
      return finish(new BearerProtocolError())
    }
    const token = fromQuery ?? fromProtocol
    if (fromHeader === undefined && token !== undefined) request.raw.headers.authorization = `Bearer ${token}`
    verify(request, reply, finish)
  }
}

import fastifyJwt from '@fastify/jwt'
import type { FastifyInstance } from 'fastify'
import type { VerifyJwt } from '../src/auth/authenticator.js'
import { AuthRefusal, type AuthFailureReason } from '../src/auth/credential.js'
import { JwksKeys } from '../src/auth/jwks-keys.js'
import { listOf, type JwtKey } from '../src/auth/jwt-key.js'
import type { WsOptions } from '../src/config/options.js'

const NAMESPACE = 'wsHub'

/** fast-jwt's codes for a token that verified but whose claims are not accepted; every other failure is `invalid`. */
const REFUSED_CODES = new Set(['FAST_JWT_INVALID_CLAIM_VALUE', 'FAST_JWT_MISSING_REQUIRED_CLAIM', 'FAST_JWT_INACTIVE'])

/**
 * Registers @fastify/jwt in verify mode under the configured key and returns its check as the core wants it.
 * `fastify.jwt.verify` rather than `request.jwtVerify`: `auth.refresh` checks a token with no request around it.
 */
export async function jwtVerifier (scope: FastifyInstance, key: JwtKey, options: WsOptions): Promise<VerifyJwt> {
  const jwks = key.kind === 'jwks' ? new JwksKeys(key.url) : undefined
  // the algorithms are pinned to the key's kind: an HS token "signed" with the RSA public key as secret is refused
  // fast-jwt checks aud and iss only when the token has them: a configured one must also be required
  const requiredClaims = [...(options.jwtAudience === '' ? [] : ['aud']), ...(options.jwtIssuer === '' ? [] : ['iss'])]
  const verify = {
    algorithms: key.algorithms as never[],
    requiredClaims,
    ...(options.jwtAudience === '' ? {} : { allowedAud: listOf(options.jwtAudience) }),
    ...(options.jwtIssuer === '' ? {} : { allowedIss: listOf(options.jwtIssuer) })
  }
  const secret = key.kind === 'secret'
    ? key.key
    : { public: key.kind === 'public-key' ? key.key : (token: { header: { kid?: unknown, alg?: unknown } }) => jwks!.key(token.header) }
  // a namespace, so a host that registered @fastify/jwt for its own routes keeps its `jwt` and `request.user`
  await scope.register(fastifyJwt, { secret, verify, namespace: NAMESPACE })
  const jwt = (scope.jwt as unknown as Record<string, fastifyJwt.JWT>)[NAMESPACE]!
  return async function verifyJwt (token) {
    try {
      return await jwt.verify<Record<string, unknown>>(token)
    } catch (err) {
      const code = (err as { code?: unknown }).code
      const reason: AuthFailureReason = code === 'FAST_JWT_EXPIRED' ? 'expired' : REFUSED_CODES.has(code as string) ? 'refused' : 'invalid'
      throw new AuthRefusal(reason, (err as Error).message)
    }
  }
}

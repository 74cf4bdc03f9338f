import Type from 'typebox'
import { AuthRefusal } from '../auth/credential.js'
import { tokenRefused } from '../rpc/rpc-error.js'
import { defineMethod } from './method.js'
import { MethodErrors } from './method-errors.js'

/**
 * Hands the connection a fresh JWT before its `exp`: checked as the upgrade checked the first one, and for the same
 * `sub`. Accepted, its `exp` replaces the connection's deadline and its channel claims replace the old ones. Refused
 * (-32013), nothing changes: the connection still closes with 4401 at the old `exp`.
 */
export default defineMethod({
  name: 'auth.refresh',
  summary: 'Hands the connection a fresh JWT for the same `sub` before its `exp`',
  errors: [MethodErrors.tokenRefused],
  params: Type.Object({ token: Type.String({ minLength: 1, maxLength: 16_384 }) }),
  result: Type.Object({ user: Type.String(), expiresAt: Type.Union([Type.Integer(), Type.Null()]) }),
  async handle ({ token }, { client, auth, log }) {
    let credential
    try {
      credential = await auth.verifyJwt(token)
    } catch (err) {
      if (!(err instanceof AuthRefusal)) throw err
      log.debug({ clientId: client.id, reason: err.reason }, 'token refresh refused')
      throw tokenRefused({ reason: err.reason, message: err.message })
    }
    if (credential.identity !== client.identity) {
      log.info({ clientId: client.id, user: client.identity }, 'token refresh refused: another sub')
      throw tokenRefused({ reason: 'refused', message: 'the token is for another sub than the connection\'s' })
    }
    client.grants = credential.grants
    client.expireAt(credential.expiresAt)
    return { user: credential.identity, expiresAt: credential.expiresAt ?? null }
  }
})

import type { ChannelGrants } from './channel-grants.js'

/** Why a token was not accepted: the `reason` label of `ws_auth_failures_total`, a bounded set. */
export const AUTH_FAILURE_REASONS = ['missing', 'invalid', 'expired', 'refused'] as const
export type AuthFailureReason = typeof AUTH_FAILURE_REASONS[number]

/** A token that was not accepted. `message` is ours, never the token's content. */
export class AuthRefusal extends Error {
  readonly reason: AuthFailureReason
  constructor (reason: AuthFailureReason, message: string) {
    super(message)
    this.name = 'AuthRefusal'
    this.reason = reason
  }
}

/** What an accepted token gives its connection. */
export interface Credential {
  /** The static token's label, or the JWT's `sub`: presence `user`, `authorize`'s `identity`, logs. */
  identity: string
  /** The JWT's `channels` / `publish` claims; undefined when it carries neither, and for static tokens. */
  grants?: ChannelGrants | undefined
  /** The JWT's `exp` in epoch milliseconds; undefined when it has none, and for static tokens. */
  expiresAt?: number | undefined
}

import { ChannelGrants } from './channel-grants.js'
import { AuthRefusal, type Credential } from './credential.js'
import { TokenSet } from './token-set.js'

/** Resolves a JWT's verified payload, or rejects with an `AuthRefusal`; given by the plugin that holds the key. */
export type VerifyJwt = (token: string) => Promise<Record<string, unknown>>

export interface AuthenticatorOptions {
  authEnabled: boolean
  bearerTokens: string
}

/** `sub` shows in presence and logs: a printable string of reasonable length. */
const SUBJECT_PATTERN = /^[^\p{Cc}]{1,256}$/u

/**
 * Turns a presented token into a `Credential`: a static bearer token first (a constant-time lookup), then a JWT
 * when a key is configured. Framework-free: the JWT check itself is handed in with `useJwt`.
 */
export class Authenticator {
  readonly isEnabled: boolean
  readonly #tokens: TokenSet
  #verifyJwt: VerifyJwt | undefined

  constructor (options: AuthenticatorOptions) {
    this.isEnabled = options.authEnabled
    this.#tokens = TokenSet.parse(options.authEnabled ? options.bearerTokens : '')
  }

  get acceptsJwt (): boolean {
    return this.#verifyJwt !== undefined
  }

  useJwt (verify: VerifyJwt) {
    this.#verifyJwt = verify
  }

  /** Rejects with an `AuthRefusal` naming why the token is not accepted. */
  async authenticate (token: string): Promise<Credential> {
    if (token === '') throw new AuthRefusal('invalid', 'an empty token')
    const label = this.#tokens.identify(token)
    if (label !== undefined) return { identity: label }
    if (this.#verifyJwt === undefined) throw new AuthRefusal('invalid', 'not an accepted token')
    return this.verifyJwt(token)
  }

  /** A JWT alone (as `auth.refresh` takes): signature, `exp`, `aud`, `iss`, then `sub` and the channel claims. */
  async verifyJwt (token: string): Promise<Credential> {
    if (this.#verifyJwt === undefined) throw new AuthRefusal('refused', 'this server accepts no JWTs')
    const payload = await this.#verifyJwt(token)
    const sub = payload.sub
    if (typeof sub !== 'string' || !SUBJECT_PATTERN.test(sub)) throw new AuthRefusal('refused', 'the token has no usable sub claim')
    const grants = ChannelGrants.fromClaims(payload)
    if (typeof grants === 'string') throw new AuthRefusal('refused', grants)
    const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 : undefined
    return { identity: sub, grants, expiresAt }
  }
}

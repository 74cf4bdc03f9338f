import { createHash, timingSafeEqual } from 'node:crypto'

/**
 * The accepted bearer tokens. Each is compared as a SHA-256 digest with timingSafeEqual, so neither
 * the content nor the length of a guess shows in the time taken, and every token is always checked.
 */
export class TokenSet {
  readonly #digests: Buffer[]

  constructor (tokens: readonly string[]) {
    this.#digests = tokens.map(digest)
  }

  static parse (list: string): TokenSet {
    return new TokenSet(list.split(',').map((token) => token.trim()).filter((token) => token !== ''))
  }

  get size () {
    return this.#digests.length
  }

  /** The token's non-secret label (`token-<index>`), or undefined when it is not accepted. */
  identify (token: string): string | undefined {
    const candidate = digest(token)
    let found = -1
    for (let i = 0; i < this.#digests.length; i++) {
      if (timingSafeEqual(candidate, this.#digests[i]!) && found === -1) found = i
    }
    return found === -1 ? undefined : `token-${found}`
  }
}

function digest (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

import { createHash, timingSafeEqual } from 'node:crypto'

/** A token with the label it gives the client; `name:token` in a list, or `token-<i>` for a bare one. */
export interface LabelledToken {
  token: string
  label: string
}

/** What a token's name may hold: it shows in presence (`user`) and in logs, so no spaces, quotes or commas. */
export const TOKEN_NAME_PATTERN = /^[A-Za-z0-9_.@-]{1,64}$/

/**
 * The accepted bearer tokens. Each is compared as a SHA-256 digest with timingSafeEqual, so neither
 * the content nor the length of a guess shows in the time taken, and every token is always checked.
 */
export class TokenSet {
  readonly #digests: Buffer[]
  readonly #labels: string[]

  constructor (tokens: ReadonlyArray<string | LabelledToken>) {
    const labelled = tokens.map((entry, i) => typeof entry === 'string' ? { token: entry, label: `token-${i}` } : entry)
    this.#digests = labelled.map((entry) => digest(entry.token))
    this.#labels = labelled.map((entry) => entry.label)
  }

  /**
   * `alice:tok1,bob:tok2,tok3`: a named token is labelled with its name, a bare one with its position (`token-2`).
   * The first colon splits; several tokens may share a name (a rotation), and a token may hold further colons.
   */
  static parse (list: string): TokenSet {
    return new TokenSet(parseTokenList(list))
  }

  get size () {
    return this.#digests.length
  }

  /** The token's non-secret label (its name, or `token-<index>`), or undefined when it is not accepted. */
  identify (token: string): string | undefined {
    const candidate = digest(token)
    let found = -1
    for (let i = 0; i < this.#digests.length; i++) {
      if (timingSafeEqual(candidate, this.#digests[i]!) && found === -1) found = i
    }
    return found === -1 ? undefined : this.#labels[found]
  }
}

/** The list's entries, blanks dropped; a name before the first colon must match TOKEN_NAME_PATTERN (else it throws). */
export function parseTokenList (list: string): LabelledToken[] {
  const entries = list.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
  return entries.map((entry, i) => {
    const colon = entry.indexOf(':')
    if (colon === -1) return { token: entry, label: `token-${i}` }
    const name = entry.slice(0, colon)
    const token = entry.slice(colon + 1)
    if (!TOKEN_NAME_PATTERN.test(name) || token === '') {
      throw new TypeError(`token #${i} is not "name:token" with a name of 1-64 of [A-Za-z0-9_.@-] and a token`)
    }
    return { token, label: name }
  })
}

function digest (token: string): Buffer {
  return createHash('sha256').update(token).digest()
}

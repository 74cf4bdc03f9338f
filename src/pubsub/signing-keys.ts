import { createHmac, timingSafeEqual } from 'node:crypto'

/** base64url of an HMAC-SHA-256 digest: always 43 characters. */
export const SIGNATURE_LENGTH = 43

/**
 * The keys of `pubsubSecret`: envelopes are signed with the first and accepted under any, so a key is rotated by
 * first adding it second everywhere, then moving it first, then dropping the old one.
 */
export class SigningKeys {
  readonly #keys: Buffer[]

  constructor (keys: readonly string[]) {
    if (keys.length === 0) throw new Error('SigningKeys needs at least one key')
    this.#keys = keys.map((key) => Buffer.from(key))
  }

  /** Comma-separated keys, or undefined for an empty setting (envelopes are neither signed nor checked). */
  static parse (secret: string): SigningKeys | undefined {
    const keys = secret.split(',').map((key) => key.trim()).filter((key) => key !== '')
    return keys.length === 0 ? undefined : new SigningKeys(keys)
  }

  sign (header: Buffer, payload: Buffer): string {
    return digest(this.#keys[0]!, header, payload).toString('base64url')
  }

  verify (signature: string, header: Buffer, payload: Buffer): boolean {
    const given = Buffer.from(signature, 'base64url')
    if (given.length !== 32) return false
    let ok = false
    // every key is tried, so the time taken does not tell which one matched
    for (const key of this.#keys) ok = timingSafeEqual(given, digest(key, header, payload)) || ok
    return ok
  }
}

function digest (key: Buffer, header: Buffer, payload: Buffer): Buffer {
  return createHmac('sha256', key).update(header).update('\n').update(payload).digest()
}

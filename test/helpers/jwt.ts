import { createHmac, generateKeyPairSync, sign, type KeyObject } from 'node:crypto'

export interface SignOptions {
  /** `HS256`, `RS256`, `ES256`, … or `none` (no signature). */
  alg: string
  /** The HMAC secret (string), or the private key; ignored for `none`. */
  key?: string | KeyObject
  kid?: string
}

const HASH: Record<string, string> = { 256: 'sha256', 384: 'sha384', 512: 'sha512' }

/**
 * A compact JWS signed here with node:crypto, not with the library under test, so a test can also forge what a
 * signer would refuse to make: `alg: none`, an HS token keyed with an RSA public key.
 */
export function signJwt (payload: Record<string, unknown>, options: SignOptions): string {
  const header = { alg: options.alg, typ: 'JWT', ...(options.kid === undefined ? {} : { kid: options.kid }) }
  const input = `${encode(header)}.${encode(payload)}`
  const family = options.alg.slice(0, 2)
  const hash = HASH[options.alg.slice(2)]
  let signature = ''
  if (family === 'HS') {
    signature = createHmac(hash!, options.key as string).update(input).digest('base64url')
  } else if (family === 'RS') {
    signature = sign(hash!, Buffer.from(input), options.key as KeyObject).toString('base64url')
  } else if (family === 'ES') {
    signature = sign(hash!, Buffer.from(input), { key: options.key as KeyObject, dsaEncoding: 'ieee-p1363' }).toString('base64url')
  } else if (options.alg !== 'none') {
    throw new Error(`signJwt: ${options.alg} is not supported here`)
  }
  return `${input}.${signature}`
}

function encode (value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url')
}

/** Seconds since the epoch, as `exp` and `iat` are written, `offset` seconds from now. */
export function epochSeconds (offset = 0): number {
  return Math.floor(Date.now() / 1000) + offset
}

/**
 * An `exp` soon enough to wait for: 2–3 s away. `exp` is in whole seconds, so `epochSeconds(1)` can leave a few
 * milliseconds, and on a loaded box the upgrade itself then finds the token expired.
 */
export function expiresSoon (): number {
  return Math.ceil(Date.now() / 1000) + 2
}

export function rsaKeys () {
  return generateKeyPairSync('rsa', { modulusLength: 2048 })
}

export function ecKeys () {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' })
}

export function publicPem (key: KeyObject): string {
  return key.export({ type: 'spki', format: 'pem' }).toString()
}

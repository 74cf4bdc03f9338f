import { createPublicKey } from 'node:crypto'

/** What a JWT may be signed with: one of the three `jwt*` key options, read and checked. */
export type JwtKey =
  | { kind: 'secret', key: string, algorithms: readonly string[] }
  | { kind: 'public-key', key: string, algorithms: readonly string[] }
  | { kind: 'jwks', url: URL, algorithms: readonly string[] }

export interface JwtKeyOptions {
  jwtSecret: string
  jwtPublicKey: string
  jwtJwksUrl: string
}

const HMAC = ['HS256', 'HS384', 'HS512'] as const
const RSA = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'] as const
const EC = ['ES256', 'ES384', 'ES512'] as const
/** A key from a JWKS is public: a token naming an HMAC algorithm is refused before any key is looked up. */
export const ASYMMETRIC_ALGORITHMS: readonly string[] = [...RSA, ...EC, 'EdDSA']

/** RFC 7518 §3.2: an HS256 key must be at least as long as the hash, 256 bits. */
export const MIN_JWT_SECRET_LENGTH = 32

/** Which `jwt*` key options are set; more than one is a contradiction. */
export function jwtKeyOptionsSet (options: JwtKeyOptions): Array<keyof JwtKeyOptions> {
  return (['jwtSecret', 'jwtPublicKey', 'jwtJwksUrl'] as const).filter((name) => options[name] !== '')
}

/** Environments often hold a PEM on one line with `\n` written out. */
export function readPem (text: string): string {
  return text.replace(/\\n/g, '\n').trim()
}

/** The algorithms a PEM public key verifies; throws a sentence (without the key) when it is not one. */
export function publicKeyAlgorithms (text: string): readonly string[] {
  const pem = readPem(text)
  if (/PRIVATE KEY/.test(pem)) throw new Error('is a private key; give the public key only')
  let type: string | undefined
  try {
    type = createPublicKey(pem).asymmetricKeyType
  } catch {
    throw new Error('is not a PEM public key (-----BEGIN PUBLIC KEY-----)')
  }
  if (type === 'rsa') return RSA
  if (type === 'rsa-pss') return RSA.filter((alg) => alg.startsWith('PS'))
  if (type === 'ec') return EC
  if (type === 'ed25519' || type === 'ed448') return ['EdDSA']
  throw new Error(`is a ${type ?? 'unknown'} key; RSA, EC or Ed25519 is needed`)
}

/** The configured key, or undefined when JWTs are off. Assumes `findContradictions` found nothing. */
export function jwtKeyOf (options: JwtKeyOptions): JwtKey | undefined {
  if (options.jwtSecret !== '') return { kind: 'secret', key: options.jwtSecret, algorithms: HMAC }
  if (options.jwtPublicKey !== '') return { kind: 'public-key', key: readPem(options.jwtPublicKey), algorithms: publicKeyAlgorithms(options.jwtPublicKey) }
  if (options.jwtJwksUrl !== '') return { kind: 'jwks', url: new URL(options.jwtJwksUrl), algorithms: ASYMMETRIC_ALGORITHMS }
  return undefined
}

/** `a, b` → ['a', 'b']; blanks dropped. */
export function listOf (text: string): string[] {
  return text.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '')
}

import { jwtKeyOptionsSet, MIN_JWT_SECRET_LENGTH, publicKeyAlgorithms } from '../auth/jwt-key.js'
import { parseTokenList } from '../auth/token-set.js'
import type { OptionName, WsOptions } from './options.js'

/** A pair of knobs that each pass alone but contradict each other; `message` follows the name of `option`. */
export interface Contradiction {
  option: OptionName
  message: string
}

/** What the schema cannot see: rules between knobs. Named by option; the process names them by variable. */
export function findContradictions (options: WsOptions): Contradiction[] {
  const found: Contradiction[] = []
  const jwtKeys = jwtKeyOptionsSet(options)
  if (options.authEnabled && options.bearerTokens.trim() === '' && jwtKeys.length === 0) {
    found.push({ option: 'bearerTokens', message: 'must list at least one token when %authEnabled is true and no JWT key (%jwtSecret, %jwtPublicKey or %jwtJwksUrl) is set' })
  }
  found.push(...jwtContradictions(options, jwtKeys))
  for (const option of ['bearerTokens', 'apiKeys'] as const) {
    try {
      parseTokenList(options[option])
    } catch (err) {
      found.push({ option, message: `has a bad entry: ${(err as Error).message}` })
    }
  }
  if (options.apiEnabled && options.apiKeys.trim() === '') {
    found.push({ option: 'apiKeys', message: 'must list at least one key when %apiEnabled is true' })
  }
  if (options.pubsubReconnectMaxMs < options.pubsubReconnectMinMs) {
    found.push({ option: 'pubsubReconnectMaxMs', message: 'must be >= %pubsubReconnectMinMs' })
  }
  // one legitimate message, echoed back, would close the client that asked for it
  if (options.maxPayloadBytes > options.maxBufferedBytes) {
    found.push({ option: 'maxPayloadBytes', message: 'must be <= %maxBufferedBytes' })
  }
  // one client alone could use the whole budget, and the budget would close it before its own bound did
  if (options.maxTotalBufferedBytes !== 0 && options.maxBufferedBytes > options.maxTotalBufferedBytes) {
    found.push({ option: 'maxBufferedBytes', message: 'must be <= %maxTotalBufferedBytes' })
  }
  // shutdown answers the broadcasts it already read, each waiting up to the publish timeout for its broker
  if (options.shutdownTimeoutMs <= options.pubsubPublishTimeoutMs) {
    found.push({ option: 'shutdownTimeoutMs', message: 'must be > %pubsubPublishTimeoutMs' })
  } else if (options.shutdownTimeoutMs <= options.drainDelayMs + options.drainSpreadMs + options.pubsubPublishTimeoutMs) {
    // the timeout counts from the signal: the drain comes first, and the last batch's broadcasts may still wait for their broker
    found.push({ option: 'shutdownTimeoutMs', message: 'must be > %drainDelayMs + %drainSpreadMs + %pubsubPublishTimeoutMs' })
  }
  // a short key can be guessed offline from one signed envelope; an empty one between commas is a typo
  if (options.pubsubSecret !== '' && options.pubsubSecret.split(',').some((key) => key.trim().length < MIN_SECRET_LENGTH)) {
    found.push({ option: 'pubsubSecret', message: `must be comma-separated keys of at least ${MIN_SECRET_LENGTH} characters each` })
  }
  return found
}

const MIN_SECRET_LENGTH = 16

function jwtContradictions (options: WsOptions, keys: ReturnType<typeof jwtKeyOptionsSet>): Contradiction[] {
  const found: Contradiction[] = []
  const [first, second] = keys
  if (first !== undefined && second !== undefined) {
    found.push({ option: second, message: `cannot be set with %${first}: a token is verified under one key source` })
  }
  // a key that is set but never asked for would leave /ws open while the operator believes it guarded
  if (first !== undefined && !options.authEnabled) {
    found.push({ option: first, message: 'is set but %authEnabled is false' })
  }
  if (options.jwtSecret !== '' && options.jwtSecret.length < MIN_JWT_SECRET_LENGTH) {
    found.push({ option: 'jwtSecret', message: `must be at least ${MIN_JWT_SECRET_LENGTH} characters (RFC 7518 §3.2)` })
  }
  if (options.jwtPublicKey !== '') {
    try {
      publicKeyAlgorithms(options.jwtPublicKey)
    } catch (err) {
      found.push({ option: 'jwtPublicKey', message: (err as Error).message })
    }
  }
  if (options.jwtJwksUrl !== '' && !isHttpUrl(options.jwtJwksUrl)) {
    found.push({ option: 'jwtJwksUrl', message: 'must be an http:// or https:// URL' })
  }
  for (const claim of ['jwtAudience', 'jwtIssuer'] as const) {
    if (options[claim] !== '' && first === undefined) {
      found.push({ option: claim, message: 'needs a JWT key: %jwtSecret, %jwtPublicKey or %jwtJwksUrl' })
    }
  }
  return found
}

function isHttpUrl (text: string): boolean {
  try {
    const url = new URL(text)
    return url.protocol === 'http:' || url.protocol === 'https:'
  } catch {
    return false
  }
}

/** The contradiction as one line, each knob written by `name` (an option name or its variable). */
export function describeContradiction (contradiction: Contradiction, name: (option: string) => string): string {
  return `${name(contradiction.option)} ${contradiction.message.replace(/%([A-Za-z]+)/g, (_match, option: string) => name(option))}`
}

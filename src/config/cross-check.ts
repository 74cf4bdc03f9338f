import type { OptionName, WsOptions } from './options.js'

/** A pair of knobs that each pass alone but contradict each other; `message` follows the name of `option`. */
export interface Contradiction {
  option: OptionName
  message: string
}

/** What the schema cannot see: rules between knobs. Named by option; the process names them by variable. */
export function findContradictions (options: WsOptions): Contradiction[] {
  const found: Contradiction[] = []
  if (options.authEnabled && options.bearerTokens.trim() === '') {
    found.push({ option: 'bearerTokens', message: 'must list at least one token when %authEnabled is true' })
  }
  if (options.pubsubReconnectMaxMs < options.pubsubReconnectMinMs) {
    found.push({ option: 'pubsubReconnectMaxMs', message: 'must be >= %pubsubReconnectMinMs' })
  }
  // a short key can be guessed offline from one signed envelope; an empty one between commas is a typo
  if (options.pubsubSecret !== '' && options.pubsubSecret.split(',').some((key) => key.trim().length < MIN_SECRET_LENGTH)) {
    found.push({ option: 'pubsubSecret', message: `must be comma-separated keys of at least ${MIN_SECRET_LENGTH} characters each` })
  }
  return found
}

const MIN_SECRET_LENGTH = 16

/** The contradiction as one line, each knob written by `name` (an option name or its variable). */
export function describeContradiction (contradiction: Contradiction, name: (option: string) => string): string {
  return `${name(contradiction.option)} ${contradiction.message.replace(/%([A-Za-z]+)/g, (_match, option: string) => name(option))}`
}

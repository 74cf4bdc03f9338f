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
  if (options.authEnabled && options.bearerTokens.trim() === '') {
    found.push({ option: 'bearerTokens', message: 'must list at least one token when %authEnabled is true' })
  }
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
  return found
}

/** The contradiction as one line, each knob written by `name` (an option name or its variable). */
export function describeContradiction (contradiction: Contradiction, name: (option: string) => string): string {
  return `${name(contradiction.option)} ${contradiction.message.replace(/%([A-Za-z]+)/g, (_match, option: string) => name(option))}`
}

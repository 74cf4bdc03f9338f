import { Value } from 'typebox/value'
import { describeContradiction, findContradictions } from './cross-check.js'
import { WsOptionsSchema, type WsOptions } from './options.js'

/** Raised at `register` for an option that is unknown, of the wrong type or out of range. */
export class OptionError extends Error {
  readonly code = 'WS_ERR_OPTION'
  constructor (message: string) {
    super(message)
    this.name = 'OptionError'
  }
}

const KNOWN = new Set(Object.keys(WsOptionsSchema.properties))

/**
 * The plugin's knobs with defaults applied, or an error naming the first bad one
 * (`ws-server option maxPayloadBytes must be >= 64`). `extra` names options checked elsewhere (methods, an adapter).
 */
export function resolveOptions (given: Record<string, unknown>, extra: readonly string[] = []): WsOptions {
  const knobs: Record<string, unknown> = {}
  for (const [key, value] of Object.entries(given)) {
    if (extra.includes(key) || value === undefined) continue
    if (!KNOWN.has(key)) throw new OptionError(`ws-server option ${key} is not known`)
    knobs[key] = value
  }
  const values = Value.Default(WsOptionsSchema, knobs)
  const [error] = Value.Errors(WsOptionsSchema, values)
  if (error !== undefined) throw new OptionError(`ws-server option ${error.instancePath.slice(1)} ${error.message}`)
  const options = values as WsOptions
  const [contradiction] = findContradictions(options)
  if (contradiction !== undefined) throw new OptionError(`ws-server option ${describeContradiction(contradiction, (name) => name)}`)
  return options
}

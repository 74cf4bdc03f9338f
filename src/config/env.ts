import envSchema from 'env-schema'
import Type, { type Static } from 'typebox'
import { describeContradiction, findContradictions } from './cross-check.js'
import { envName, optionSchemas, type OptionName, type WsOptions } from './options.js'
import { parseTrustProxy } from './trust-proxy.js'

/** Knobs of the process alone: Fastify needs them at construction, or they choose between plugin options. */
export const ProcessEnvSchema = Type.Object({
  WS_HOST: Type.String({ default: '0.0.0.0', description: 'address to listen on' }),
  WS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'port to listen on (`0`: any free port)' }),
  WS_LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info', description: 'pino level' }),
  WS_TRUST_PROXY: Type.String({ default: 'false', description: '`true`, `false`, a hop count, or comma-separated proxy addresses/CIDRs (`loopback`, `linklocal`, `uniquelocal` too): whose `X-Forwarded-For` sets the client IP' }),
  WS_HANDSHAKE_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000, description: 'a TCP connection silent this long before its upgrade completes is closed' }),
  WS_PUBSUB_ENABLED: Type.Boolean({ default: false, description: '`false`: the `local` adapter, whatever `WS_PUBSUB_ADAPTER` says' })
})
export type ProcessEnv = Static<typeof ProcessEnvSchema>

const OPTION_NAMES = Object.keys(optionSchemas) as OptionName[]

/** The process's variables, then one `WS_*` variable per plugin option, each with the option's own schema. */
export const EnvSchema = Type.Object({
  ...ProcessEnvSchema.properties,
  ...Object.fromEntries(OPTION_NAMES.map((name) => [envName(name), optionSchemas[name]]))
})

export interface Environment {
  process: ProcessEnv
  /** The plugin's options, read from their `WS_*` variables. */
  options: WsOptions
}

/**
 * Reads and validates the environment once; throws `env/WS_PORT must be <= 65535` and the like.
 * env-schema is the validator @fastify/env wraps; it is used directly because the log level and
 * trustProxy must be known before Fastify is constructed.
 */
export function readEnvironment (env: Record<string, string | undefined>): Environment {
  const values = envSchema<Record<string, unknown>>({ schema: structuredClone(EnvSchema), data: env, env: false })
  const processEnv = Object.fromEntries(Object.keys(ProcessEnvSchema.properties).map((key) => [key, values[key]])) as ProcessEnv
  const options = Object.fromEntries(OPTION_NAMES.map((name) => [name, values[envName(name)]])) as WsOptions
  if (!processEnv.WS_PUBSUB_ENABLED) options.pubsubAdapter = 'local'
  if (parseTrustProxy(processEnv.WS_TRUST_PROXY) === undefined) {
    throw new Error('env/WS_TRUST_PROXY must be true, false, a hop count, or comma-separated proxy addresses/CIDRs (or loopback, linklocal, uniquelocal)')
  }
  const [contradiction] = findContradictions(options)
  if (contradiction !== undefined) throw new Error(`env/${describeContradiction(contradiction, envName)}`)
  return { process: processEnv, options }
}

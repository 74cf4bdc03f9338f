import fp from 'fastify-plugin'
import fastifyEnv from '@fastify/env'
import { WsEnv } from '../src/config/env.js'
import { MissingTokensError } from '../src/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Validated configuration: plugin options over `process.env` over the schema's defaults. */
    wsConfig: WsEnv
  }
}

export interface ConfigOptions {
  /** Values for any `WS_*` knob; they win over `process.env`. */
  config?: Partial<Record<keyof WsEnv, string | number | boolean>>
}

export default fp<ConfigOptions>(async function configPlugin (fastify, opts) {
  if (fastify.hasDecorator('wsConfig')) return
  await fastify.register(fastifyEnv, {
    schema: WsEnv,
    confKey: 'wsConfig',
    data: { ...process.env, ...opts.config }
  })
  const config = fastify.wsConfig
  if (config.WS_AUTH_ENABLED && config.WS_BEARER_TOKENS.trim() === '') throw new MissingTokensError()
}, { name: 'ws-config' })

import type { TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { WsServerOptions } from '../../src/app.js'
import { readEnvironment } from '../../src/config/env.js'
import { buildStandalone } from '../../src/standalone.js'

export interface StartedServer {
  app: FastifyInstance
  /** `ws://127.0.0.1:<port>/ws` */
  url: string
  /** `http://127.0.0.1:<port>` */
  http: string
}

/** `WS_*` variables as a test writes them; numbers and booleans are read as the process would read their text. */
export type TestEnv = Record<string, string | number | boolean>

/**
 * The server as the process builds it (src/standalone.ts), from `env` alone (never this process's environment),
 * in-process on an ephemeral loopback port (or `env.WS_PORT`, to start one again where another was), closed after
 * the test. TEST_FAST_PATH=false runs it without the fast path.
 */
export async function startServer (t: TestContext, env: TestEnv = {}, extra: Pick<WsServerOptions, 'methods' | 'authorize'> = {}): Promise<StartedServer> {
  const fastPath = process.env.TEST_FAST_PATH === undefined ? {} : { WS_FAST_PATH: process.env.TEST_FAST_PATH }
  const data = Object.fromEntries(Object.entries({ WS_LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent', ...fastPath, ...env }).map(([key, value]) => [key, String(value)]))
  const app = await buildStandalone(readEnvironment(data), extra)
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: Number(data.WS_PORT ?? 0) })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('server has no TCP address')
  return { app, url: `ws://127.0.0.1:${address.port}/ws`, http: `http://127.0.0.1:${address.port}` }
}

/** One metric's value as printed by `/metrics`, e.g. `metricValue(text, 'ws_rpc_errors_total{code="-32700"}')`. */
export function metricValue (text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(series + ' ')) return Number(line.slice(series.length + 1))
  }
  return undefined
}

export async function fetchMetrics (http: string): Promise<string> {
  const response = await fetch(`${http}/metrics`)
  return response.text()
}

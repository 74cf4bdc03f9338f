import type { TestContext } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import wsServer, { type WsServerOptions } from '../../src/app.js'

export interface StartedServer {
  app: FastifyInstance
  /** `ws://127.0.0.1:<port>/ws` */
  url: string
  /** `http://127.0.0.1:<port>` */
  http: string
}

/** The server plugin in a fresh Fastify on an ephemeral loopback port, closed after the test. */
export async function startServer (t: TestContext, config: WsServerOptions['config'] = {}, options: Omit<WsServerOptions, 'config'> = {}): Promise<StartedServer> {
  const app = Fastify({ logger: { level: process.env.TEST_LOG_LEVEL ?? 'silent' } })
  await app.register(wsServer, { ...options, config: { WS_LOG_LEVEL: 'silent', ...config } })
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
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

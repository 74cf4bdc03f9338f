import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { test } from 'node:test'
import Fastify from 'fastify'
import { Registry } from 'prom-client'
import healthRoute from '../../routes/health.js'
import wsServer, { type Envelope, type PubSubAdapter } from '../../src/index.js'
import { readEnvironment } from '../../src/config/env.js'
import { resolveOptions } from '../../src/config/resolve-options.js'
import { createCore } from '../../src/core.js'
import { buildStandalone } from '../../src/standalone.js'

/** An adapter whose link the test switches by hand. */
class SwitchAdapter implements PubSubAdapter {
  readonly name = 'switch'
  isConnected = true
  onEnvelope (_handler: (envelope: Envelope) => void) {}
  async connect () {}
  async publish () {}
  async close () {}
}

test('/health/live and /health/ready answer 200 without a token while auth, a metrics token and rate limits are on', async (t) => {
  const app = await buildStandalone(readEnvironment({
    WS_LOG_LEVEL: 'silent',
    WS_AUTH_ENABLED: 'true',
    WS_BEARER_TOKENS: 'client-token',
    WS_METRICS_TOKEN: 'scrape-token',
    WS_RATE_LIMIT_ENABLED: 'true',
    WS_RATE_LIMIT_MAX: '1'
  }))
  t.after(() => app.close())
  for (let i = 0; i < 3; i++) {
    const live = await app.inject('/health/live')
    assert.deepEqual({ status: live.statusCode, body: live.json() }, { status: 200, body: { status: 'ok' } })
    const ready = await app.inject('/health/ready')
    assert.deepEqual({ status: ready.statusCode, body: ready.json() }, { status: 200, body: { status: 'ready' } })
  }
  // the metrics token still guards /metrics
  assert.equal((await app.inject('/metrics')).statusCode, 401)
  assert.equal((await app.inject({ url: '/metrics', headers: { authorization: 'Bearer scrape-token' } })).statusCode, 200)
})

test('/health keeps its answer: status, instance, connections and the adapter', async (t) => {
  const app = await buildStandalone(readEnvironment({ WS_LOG_LEVEL: 'silent', WS_INSTANCE_ID: 'probe-1', WS_AUTH_ENABLED: 'true', WS_BEARER_TOKENS: 'x' }))
  t.after(() => app.close())
  const response = await app.inject('/health')
  assert.equal(response.statusCode, 200)
  assert.deepEqual(response.json(), {
    status: 'ok',
    instanceId: 'probe-1',
    connections: 0,
    pubsub: { adapter: 'local', channel: 'websocket.broadcast', connected: true }
  })
})

test('/health/ready answers 503 degraded while the broker is unreachable, and 200 once it is back; /health/live stays 200', async (t) => {
  const adapter = new SwitchAdapter()
  const app = Fastify({ logger: false })
  await app.register(wsServer, { instanceId: 'b', pubsubAdapter: adapter })
  t.after(() => app.close())

  adapter.isConnected = false
  const down = await app.inject('/health/ready')
  assert.deepEqual({ status: down.statusCode, body: down.json() }, { status: 503, body: { status: 'degraded' } })
  assert.equal((await app.inject('/health/live')).statusCode, 200)
  assert.equal((await app.inject('/health')).statusCode, 503)

  adapter.isConnected = true
  const up = await app.inject('/health/ready')
  assert.deepEqual({ status: up.statusCode, body: up.json() }, { status: 200, body: { status: 'ready' } })
})

test('/health/ready answers 503 stopping once the hub is stopping, even with the broker up; /health/live stays 200', async (t) => {
  // the route alone over a core: while Fastify itself closes, it answers 503 to every request before any route runs,
  // so only the hub's own flag can show this branch
  const app = Fastify({ logger: false })
  const core = createCore(resolveOptions({}), { log: app.log, registry: new Registry() })
  await app.register(healthRoute, { core })
  t.after(() => app.close())
  assert.equal((await app.inject('/health/ready')).statusCode, 200)

  core.hub.isStopping = true
  const stopping = await app.inject('/health/ready')
  assert.deepEqual({ status: stopping.statusCode, body: stopping.json() }, { status: 503, body: { status: 'stopping' } })
  assert.deepEqual((await app.inject('/health/live')).json(), { status: 'ok' })
})

test('probes and scrapes are not logged at info, other requests are', async (t) => {
  const lines: Array<Record<string, any>> = []
  const stream = new Writable({
    write (chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line))
      done()
    }
  })
  const app = Fastify({ logger: { level: 'info', stream } })
  await app.register(wsServer, { instanceId: 'quiet' })
  t.after(() => app.close())
  for (const url of ['/health', '/health/live', '/health/ready', '/metrics']) assert.equal((await app.inject(url)).statusCode, 200)
  // a request that is logged, after the quiet ones: its lines prove the logger was writing all along
  assert.equal((await app.inject('/nope')).statusCode, 404)

  const requestLines = lines.filter((line) => line.msg === 'incoming request' || line.msg === 'request completed')
  assert.deepEqual(requestLines.map((line) => line.req?.url ?? line.msg), ['/nope', 'request completed'])
})

import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import Fastify from 'fastify'
import wsServer, { type WsServerOptions } from '../src/app.js'
import { connect, refusedUpgrade } from './helpers/client.js'

async function hostApp (t: TestContext, options: WsServerOptions) {
  const app = Fastify({ logger: false })
  app.get('/hello', async () => ({ hello: 'world' }))
  await app.register(wsServer, options)
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  return { app, http: `http://127.0.0.1:${port}`, url: `ws://127.0.0.1:${port}/ws` }
}

test('wsHub.drain() refuses upgrades and answers readiness 503 at once, serves everything else through the delay, then closes with 1001', async (t) => {
  // the checks below must all fit inside the delay; on a loaded 2-core machine they once took more than 400 ms
  const DELAY = 3_000
  const { app, http, url } = await hostApp(t, { drainDelayMs: DELAY })
  const client = await connect(t, url)
  const closed = client.closed.then((value) => ({ ...value, at: performance.now() }))
  const started = performance.now()
  const drained = app.wsHub.drain()
  assert.equal(app.wsHub.drain(), drained, 'a second call joins the drain under way')

  const [answer, ready, hello, upgrade] = await Promise.all([
    client.call('self.reply', { text: 'during the delay' }),
    fetch(`${http}/health/ready`).then(async (res) => ({ status: res.status, body: await res.json() })),
    fetch(`${http}/hello`).then(async (res) => ({ status: res.status, body: await res.json() })),
    refusedUpgrade(url)
  ])
  const checked = performance.now() - started
  assert.ok(checked < DELAY, `the checks took ${Math.round(checked)} ms, past the ${DELAY} ms delay`)
  assert.deepEqual(answer, { jsonrpc: '2.0', id: 1, result: { text: 'during the delay' } })
  assert.deepEqual(ready, { status: 503, body: { status: 'stopping' } })
  assert.deepEqual(hello, { status: 200, body: { hello: 'world' } })
  assert.equal(upgrade.status, 503)

  await drained
  const { code, reason, at } = await closed
  assert.deepEqual({ code, reason }, { code: 1001, reason: 'server shutting down' })
  assert.ok(at - started >= DELAY - 10, `closed ${Math.round(at - started)} ms after the drain began`)
  await app.close()
})

test('app.close() spreads the closes over drainSpreadMs, no more than half of the clients in any quarter second', async (t) => {
  const CLIENTS = 40
  const { app, url } = await hostApp(t, { drainSpreadMs: 1_000 })
  const clients = await Promise.all(Array.from({ length: CLIENTS }, () => connect(t, url)))
  const closes = clients.map((client) => client.closed.then(({ code }) => ({ code, at: performance.now() })))
  const started = performance.now()
  await app.close()
  const seen = await Promise.all(closes)
  assert.deepEqual(new Set(seen.map(({ code }) => code)), new Set([1001]))
  const times = seen.map(({ at }) => at - started).sort((a, b) => a - b)
  let peak = 0
  for (let first = 0, last = 0; last < times.length; last++) {
    while (times[first]! <= times[last]! - 250) first++
    peak = Math.max(peak, last - first + 1)
  }
  t.diagnostic(`closes from ${Math.round(times[0]!)} to ${Math.round(times.at(-1)!)} ms; at most ${peak} of ${CLIENTS} in a quarter second`)
  assert.ok(peak <= CLIENTS / 2, `${peak} of ${CLIENTS} closed within 250 ms`)
  // the last batch goes at 9/10 of the spread
  assert.ok(times.at(-1)! >= 800, `the last close came ${Math.round(times.at(-1)!)} ms after close() began`)
})

test('without a spread, app.close() closes every client at once, as before', async (t) => {
  const { app, url } = await hostApp(t, {})
  const clients = await Promise.all(Array.from({ length: 10 }, () => connect(t, url)))
  const started = performance.now()
  await app.close()
  const seen = await Promise.all(clients.map((client) => client.closed))
  assert.deepEqual(new Set(seen.map(({ code }) => code)), new Set([1001]))
  assert.ok(performance.now() - started < 1_000)
})

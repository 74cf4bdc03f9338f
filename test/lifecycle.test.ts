import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fetchMetrics, metricValue, startServer } from './helpers/server.js'
import { connect } from './helpers/client.js'
import { spawnServer } from './helpers/child.js'

test('a client that stops answering pings is terminated; one that answers stays', async (t) => {
  const { url } = await startServer(t, { WS_HEARTBEAT_INTERVAL_MS: 50 })
  const silent = await connect(t, url, { autoPong: false })
  const lively = await connect(t, url)
  // 1006: the server terminated the TCP connection without a close frame
  assert.equal((await silent.closed).code, 1006)
  assert.deepEqual(await lively.call('self.reply', { text: 'pong' }), { jsonrpc: '2.0', id: 1, result: { text: 'pong' } })
})

test('heartbeat pings are spread over the interval, and a silent client is still terminated within two', async (t) => {
  const intervalMs = 1_000
  const { url } = await startServer(t, { WS_HEARTBEAT_INTERVAL_MS: intervalMs })
  const clients = await Promise.all(Array.from({ length: 20 }, () => connect(t, url)))
  const firstPings = await Promise.all(clients.map((client) => new Promise<number>((resolve) => client.ws.once('ping', () => resolve(performance.now())))))
  const spread = Math.max(...firstPings) - Math.min(...firstPings)
  // 10 slices of 100 ms: 20 clients fall in all of them, where one tick used to ping everyone at once
  assert.ok(spread >= intervalMs / 2, `the first pings came within ${spread.toFixed(0)} ms of each other`)

  const silent = await connect(t, url, { autoPong: false })
  const started = performance.now()
  assert.equal((await silent.closed).code, 1006)
  assert.ok(performance.now() - started <= 2 * intervalMs + 500, 'the silent client outlived two intervals')
})

test('a client that stops reading is closed with 4008 while the others keep receiving', async (t) => {
  const { url, http } = await startServer(t, { WS_MAX_BUFFERED_BYTES: 256 * 1024, WS_MAX_PAYLOAD_BYTES: 256 * 1024 })
  const paused = await connect(t, url)
  const sender = await connect(t, url)
  paused.ws.pause()

  const text = 'z'.repeat(200 * 1024)
  let cut = false
  // loopback socket buffers absorb several megabytes before the server's own buffer grows: bounded at 400 MiB
  for (let i = 0; i < 1600 && !cut; i++) {
    sender.send({ jsonrpc: '2.0', method: 'broadcast', params: { text } })
    assert.equal((await sender.next()).params.text.length, text.length)
    if (i % 10 === 9) cut = metricValue(await fetchMetrics(http), 'ws_slow_consumer_disconnects_total') === 1
  }
  assert.ok(cut, 'the paused client was never cut off')

  sender.send({ jsonrpc: '2.0', id: 'after', method: 'self.reply', params: { text: 'still served' } })
  assert.deepEqual(await sender.next(), { jsonrpc: '2.0', id: 'after', result: { text: 'still served' } })

  paused.ws.resume()
  assert.deepEqual(await paused.closed, { code: 4008, reason: 'slow consumer' })
})

for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  test(`${signal} closes every client with 1001 and exits 0`, async (t) => {
    const server = await spawnServer(t)
    const clients = await Promise.all([1, 2, 3].map(() => connect(t, server.url)))
    assert.deepEqual(await clients[0]!.call('self.reply', { text: 'up' }), { jsonrpc: '2.0', id: 1, result: { text: 'up' } })

    server.proc.kill(signal)
    for (const client of clients) assert.deepEqual(await client.closed, { code: 1001, reason: 'server shutting down' })
    assert.equal(await server.exited, 0)
  })
}

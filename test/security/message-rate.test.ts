import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect } from '../helpers/client.js'
import { fetchMetrics, metricValue, startServer } from '../helpers/server.js'

// a rate so slow that nothing refills during a test: every decision below is exact
const SLOW = { WS_RATE_LIMIT_ENABLED: true, WS_MESSAGE_RATE_PER_SECOND: 0.001, WS_MESSAGE_FLOOD_LIMIT: 1000 }

/** The retry delay must be a positive whole number of milliseconds; the rest of the answer is exact. */
function refusal (reply: any, id: number | string | null) {
  const retryAfterMs = reply?.error?.data?.retryAfterMs
  assert.ok(Number.isInteger(retryAfterMs) && retryAfterMs > 0, `retryAfterMs was ${retryAfterMs}`)
  assert.deepEqual(reply, { jsonrpc: '2.0', id, error: { code: -32029, message: 'rate limit exceeded', data: { retryAfterMs } } })
}

test('a request over the message rate gets -32029 with the retry delay, and the burst before it is served', async (t) => {
  const { url, http } = await startServer(t, { ...SLOW, WS_MESSAGE_BURST: 2 })
  const client = await connect(t, url)
  for (const id of [1, 2, 3]) client.send({ jsonrpc: '2.0', id, method: 'self.reply', params: { text: `m${id}` } })
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: 1, result: { text: 'm1' } })
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: 2, result: { text: 'm2' } })
  refusal(await client.next(), 3)
  const metrics = await fetchMetrics(http)
  assert.deepEqual([metricValue(metrics, 'ws_rate_limited_total'), metricValue(metrics, 'ws_rpc_errors_total{code="-32029"}')], [1, 1])
})

test('a notification over the rate is dropped and counted; no method runs for it', async (t) => {
  const { url, http } = await startServer(t, { ...SLOW, WS_MESSAGE_BURST: 2 })
  const client = await connect(t, url)
  for (const text of ['one', 'two', 'three']) client.send({ jsonrpc: '2.0', method: 'broadcast', params: { text } })
  client.send({ jsonrpc: '2.0', id: 9, method: 'self.reply', params: { text: 'after' } })
  assert.equal((await client.next()).params.text, 'one')
  assert.equal((await client.next()).params.text, 'two')
  // had 'three' been broadcast, it would have come before this answer
  refusal(await client.next(), 9)
  const metrics = await fetchMetrics(http)
  assert.deepEqual([metricValue(metrics, 'ws_rate_limited_total'), metricValue(metrics, 'ws_rpc_errors_total{code="-32029"}')], [2, 1])
})

test('a refused batch answers -32029 for each request in it and nothing for its notifications', async (t) => {
  const { url } = await startServer(t, { ...SLOW, WS_MESSAGE_BURST: 1 })
  const client = await connect(t, url)
  assert.deepEqual(await client.call('self.reply', { text: 'spent' }), { jsonrpc: '2.0', id: 1, result: { text: 'spent' } })
  client.send([
    { jsonrpc: '2.0', id: 'a', method: 'self.reply', params: { text: 'x' } },
    { jsonrpc: '2.0', method: 'broadcast', params: { text: 'dropped' } },
    { jsonrpc: '2.0', id: 'b', method: 'no.such.method' }
  ])
  const batch = await client.next()
  assert.equal(batch.length, 2)
  refusal(batch[0], 'a')
  refusal(batch[1], 'b')
})

test('a client that keeps flooding is closed with 1008 while another client is still served', async (t) => {
  const { url, http } = await startServer(t, { ...SLOW, WS_MESSAGE_BURST: 1, WS_MESSAGE_FLOOD_LIMIT: 5 })
  const flooder = await connect(t, url)
  const bystander = await connect(t, url)
  for (let id = 1; id <= 20; id++) flooder.send({ jsonrpc: '2.0', id, method: 'self.reply', params: { text: 'flood' } })
  assert.deepEqual(await flooder.next(), { jsonrpc: '2.0', id: 1, result: { text: 'flood' } })
  // refused at debts 1..4; the fifth refusal reaches the flood limit and closes instead of answering
  for (const id of [2, 3, 4, 5]) refusal(await flooder.next(), id)
  assert.deepEqual(await flooder.closed, { code: 1008, reason: 'message rate exceeded' })
  assert.equal(flooder.pending, 0)
  assert.deepEqual(await bystander.call('self.reply', { text: 'fine' }), { jsonrpc: '2.0', id: 1, result: { text: 'fine' } })
  // 4 refused requests and one close
  assert.equal(metricValue(await fetchMetrics(http), 'ws_rate_limited_total'), 5)
})

test('a client that waits the retry delay it was given is served again', async (t) => {
  const { url } = await startServer(t, { WS_RATE_LIMIT_ENABLED: true, WS_MESSAGE_RATE_PER_SECOND: 50, WS_MESSAGE_BURST: 1 })
  const client = await connect(t, url)
  client.send({ jsonrpc: '2.0', id: 1, method: 'self.reply', params: { text: 'a' } })
  client.send({ jsonrpc: '2.0', id: 2, method: 'self.reply', params: { text: 'b' } })
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: 1, result: { text: 'a' } })
  const refused = await client.next()
  refusal(refused, 2)
  // the delay is the protocol here, so it is awaited as told
  await new Promise((resolve) => setTimeout(resolve, refused.error.data.retryAfterMs))
  assert.deepEqual(await client.call('self.reply', { text: 'c' }, 3), { jsonrpc: '2.0', id: 3, result: { text: 'c' } })
})

test('with rate limiting off a burst far past the defaults is served whole', async (t) => {
  const { url } = await startServer(t)
  const client = await connect(t, url)
  for (let id = 0; id < 500; id++) client.send({ jsonrpc: '2.0', id, method: 'self.reply', params: { text: 'x' } })
  for (let id = 0; id < 500; id++) assert.deepEqual(await client.next(), { jsonrpc: '2.0', id, result: { text: 'x' } })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect } from '../helpers/client.js'
import { collect, openClient, recordingWebSocket } from '../helpers/hub-client.js'
import { fetchMetrics, metricValue, startServer } from '../helpers/server.js'

const PINGS = 5

test('rpc.ping answers {} to no params, {} and [], and -32602 to others', { timeout: 20_000 }, async (t) => {
  const { url } = await startServer(t)
  const client = await connect(t, url)
  assert.deepEqual(await client.call('rpc.ping', undefined, 1), { jsonrpc: '2.0', id: 1, result: {} })
  assert.deepEqual(await client.call('rpc.ping', {}, 2), { jsonrpc: '2.0', id: 2, result: {} })
  assert.deepEqual(await client.call('rpc.ping', [], 3), { jsonrpc: '2.0', id: 3, result: {} })
  assert.equal((await client.call('rpc.ping', [1], 4)).error.code, -32602)
})

test('an idle healthy connection sends rpc.ping after each intervalMs of silence, the server answers, and it stays open', { timeout: 30_000 }, async (t) => {
  const { url, http } = await startServer(t)
  const pinging = recordingWebSocket()
  const quiet = recordingWebSocket()
  const client = await openClient(t, url, { WebSocket: pinging.WebSocket, ping: { intervalMs: 100, timeoutMs: 2_000 } })
  const withoutPing = await openClient(t, url, { WebSocket: quiet.WebSocket, ping: false })
  const drops = collect(client, 'disconnected')
  const quietDrops = collect(withoutPing, 'disconnected')
  const pings = () => pinging.sent.filter((frame) => frame.method === 'rpc.ping')

  const deadline = Date.now() + 15_000
  while (pings().length < PINGS && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50))
  assert.ok(pings().length >= PINGS, `${pings().length} pings within 15 s`)
  // answers come in order: once this one is in, the server has handled every ping before it
  assert.deepEqual(await client.call('self.reply', { text: 'still here' }), { text: 'still here' })
  const answered = metricValue(await fetchMetrics(http), 'ws_rpc_duration_seconds_count{method="rpc.ping"}') ?? 0
  assert.ok(answered >= PINGS && answered <= pings().length, `the server answered ${answered} of ${pings().length} pings`)

  for (const frame of pings()) assert.deepEqual(Object.keys(frame), ['jsonrpc', 'id', 'method'])
  assert.equal(new Set(pinging.sent.map((frame) => frame.id)).size, pinging.sent.length, 'a ping id was reused')
  assert.equal(client.state, 'open')
  assert.equal(pinging.sockets.length, 1)
  // pings are not the app's calls
  assert.equal(client.pendingCalls, 0)
  assert.deepEqual([drops, quietDrops], [[], []])
  assert.deepEqual(quiet.sent, [])
})

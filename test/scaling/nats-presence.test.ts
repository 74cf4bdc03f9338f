import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { subscribe, whoAmI } from '../helpers/channels.js'
import { connectMany, FAST_RECOVERY_ENV, spawnCluster } from '../helpers/cluster.js'
import type { TestClient } from '../helpers/client.js'

const API_KEY = 'api-secret'
const ANSWER_TIMEOUT_MS = 2_000
const UNAVAILABLE = { code: -32001, message: 'Presence not confirmed: pub/sub unavailable' }

async function api (http: string, path: string) {
  const response = await fetch(`${http}/api${path}`, { headers: { authorization: `Bearer ${API_KEY}` } })
  return { status: response.status, body: await response.json() as any }
}

async function countOn (client: TestClient, id: string) {
  return client.call('presence.count', { channel: 'room' }, id)
}

// a nats-server started without -js: no JetStream, so no KV buckets, and presence must gather from the instances
test('presence on nats without JetStream counts every instance, or answers -32001; never one instance alone', { timeout: 90_000 }, async (t) => {
  const nats = await startBroker(t, 'nats')
  if (!nats) return
  const servers = await spawnCluster(t, 3, {
    ...FAST_RECOVERY_ENV,
    WS_PUBSUB_ENABLED: 'true',
    WS_PUBSUB_ADAPTER: 'nats',
    WS_NATS_URL: nats.url,
    WS_API_ENABLED: 'true',
    WS_API_KEYS: `ops:${API_KEY}`,
    // the answer timeout; 500 ms is too short for a loaded 2-core box running the whole suite
    WS_PUBSUB_PUBLISH_TIMEOUT_MS: String(ANSWER_TIMEOUT_MS)
  })
  const [a, b, c] = servers as [typeof servers[0], typeof servers[0], typeof servers[0]]
  for (const server of servers) {
    await server.waitForLog((line) => line.msg === 'NATS presence buckets unavailable (is JetStream on?); presence asks every instance instead')
  }
  const clients = (await Promise.all(servers.map((server) => connectMany(t, server.url, 1)))).flat()
  const ids = await Promise.all(clients.map(whoAmI))
  for (const client of clients) await subscribe(client, 'room')
  const everyone = ids.map((id) => ({ id })).sort((x, y) => x.id.localeCompare(y.id))

  await t.test('each instance counts the three subscribers as soon as their subscribes were answered', async () => {
    for (const [i, client] of clients.entries()) {
      assert.deepEqual(await countOn(client, `c${i}`), { jsonrpc: '2.0', id: `c${i}`, result: { channel: 'room', count: 3 } })
    }
    const listed = await clients[1]!.call('presence', { channel: 'room' }, 'p1')
    assert.deepEqual({ ...listed, result: { ...listed.result, clients: [...listed.result.clients].sort((x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id)) } },
      { jsonrpc: '2.0', id: 'p1', result: { channel: 'room', count: 3, clients: everyone } })
    const presence = await api(c.http, '/channels/room/presence')
    presence.body.clients.sort((x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id))
    assert.deepEqual(presence, { status: 200, body: { channel: 'room', count: 3, clients: everyone } })
    // the whoami channels were left: only the room is listed
    assert.deepEqual(await api(b.http, '/channels'), { status: 200, body: { channels: [{ channel: 'room', count: 3 }] } })
  })

  await t.test('an instance that does not answer fails the read with -32001 instead of leaving its member out', async () => {
    // stopped, it keeps its NATS socket and subscription: only the answer timeout can tell
    a.proc.kill('SIGSTOP')
    t.after(() => { a.proc.kill('SIGCONT') })
    const started = Date.now()
    assert.deepEqual(await countOn(clients[1]!, 'stopped'), { jsonrpc: '2.0', id: 'stopped', error: UNAVAILABLE })
    assert.ok(Date.now() - started >= ANSWER_TIMEOUT_MS - 50, `refused after ${Date.now() - started} ms`)
    const refused = await b.waitForLog((line) => line.msg === 'presence not answered')
    assert.match(refused.err.message, /^nats presence incomplete: instance node0-[0-9a-f]{8} did not answer within 2000 ms$/)
    const listing = await api(c.http, '/channels')
    assert.deepEqual(listing, {
      status: 503,
      body: { statusCode: 503, code: 'WS_ERR_PUBSUB_UNAVAILABLE', error: 'Service Unavailable', message: UNAVAILABLE.message, rpcCode: -32001 }
    })
    a.proc.kill('SIGCONT')
    assert.deepEqual(await countOn(clients[2]!, 'resumed'), { jsonrpc: '2.0', id: 'resumed', result: { channel: 'room', count: 3 } })
  })

  await t.test('a killed instance\'s member is out on the next reads, long before a lease', async () => {
    const killedAt = Date.now()
    a.proc.kill('SIGKILL')
    await a.exited
    // NATS drops the dead socket's subscription as the kernel closes it; until it has, a read may time out (-32001)
    for (let i = 0; ; i++) {
      const answer = await countOn(clients[1]!, `k${i}`)
      if (answer.result?.count === 2) break
      assert.deepEqual(answer, { jsonrpc: '2.0', id: `k${i}`, error: UNAVAILABLE })
      assert.ok(Date.now() - killedAt < 5_000, 'the killed instance is still asked after 5 s')
    }
    t.diagnostic(`a killed instance's member was out after ${Date.now() - killedAt} ms (lease 10000 ms)`)
    assert.deepEqual(await countOn(clients[2]!, 'after-kill'), { jsonrpc: '2.0', id: 'after-kill', result: { channel: 'room', count: 2 } })
    assert.deepEqual(await api(b.http, '/channels'), { status: 200, body: { channels: [{ channel: 'room', count: 2 }] } })
  })
})

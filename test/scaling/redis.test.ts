import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { startBroker } from '../helpers/brokers.js'
import { assertNineClientsOnThreeInstances, broadcastAndTally, connectMany, spawnCluster } from '../helpers/cluster.js'
import { fetchMetrics, metricValue } from '../helpers/server.js'

test('50 broadcasts from clients on three redis instances reach all nine clients exactly once', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  await assertNineClientsOnThreeInstances(t, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: redis.url }, 'redis')
})

test('garbage published on the redis channel is counted, logged once and does not break delivery', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const channel = 'garbage.test'
  const servers = await spawnCluster(t, 2, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: redis.url, WS_PUBSUB_CHANNEL: channel })
  const clients = [...await connectMany(t, servers[0]!.url, 1), ...await connectMany(t, servers[1]!.url, 1)]

  const plain = new Redis(redis.url)
  t.after(() => plain.disconnect())
  const garbage = ['not an envelope', '{"v":1,"o":"x","t":{"kind":"all"}}\n', '{"v":99,"o":"x","t":{"kind":"all"}}\n{}', Buffer.from([0xff, 0x00, 0x0a, 0x01])]
  for (const message of garbage) assert.equal(await plain.publish(channel, message), 2)

  const tally = await broadcastAndTally(clients, clients, 10, 'after-garbage')
  assert.deepEqual({ lost: tally.lost, duplicated: tally.duplicated, delivered: tally.delivered }, { lost: 0, duplicated: 0, delivered: 20 })
  for (const server of servers) {
    assert.equal(metricValue(await fetchMetrics(server.http), 'ws_pubsub_errors_total{reason="malformed"}'), 4)
    // one warning for the first, the other three inside the same interval stay quiet
    await server.waitForLog((line) => line.msg === 'dropped a malformed pub/sub message')
    const warnings = server.logs.filter((line) => line.msg === 'dropped a malformed pub/sub message')
    assert.deepEqual(warnings.map((line) => [line.reason, line.droppedSinceLastLog]), [['malformed envelope: no header', 0]])
  }
})

test('instances on another channel of the same redis form a separate cluster', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const [a, b] = await Promise.all([
    spawnCluster(t, 1, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: redis.url, WS_PUBSUB_CHANNEL: 'cluster.a', WS_INSTANCE_ID: 'a' }),
    spawnCluster(t, 1, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: redis.url, WS_PUBSUB_CHANNEL: 'cluster.b', WS_INSTANCE_ID: 'b' })
  ])
  const [alice] = await connectMany(t, a[0]!.url, 1)
  const [bob] = await connectMany(t, b[0]!.url, 1)

  // the ack and the sender's own copy may come in either order
  alice!.send({ jsonrpc: '2.0', id: 1, method: 'broadcast', params: { text: 'for a' } })
  const aliceFrames = [await alice!.next(), await alice!.next()]
  // Redis had a's message before b's: had it crossed to Bob, it would be among his next two frames
  bob!.send({ jsonrpc: '2.0', id: 2, method: 'broadcast', params: { text: 'for b' } })
  const bobFrames = [await bob!.next(), await bob!.next()]
  assert.deepEqual(byKind(aliceFrames), [{ jsonrpc: '2.0', id: 1, result: { published: true } }, { jsonrpc: '2.0', method: 'broadcast', params: { text: 'for a', from: 'a.0' } }])
  assert.deepEqual(byKind(bobFrames), [{ jsonrpc: '2.0', id: 2, result: { published: true } }, { jsonrpc: '2.0', method: 'broadcast', params: { text: 'for b', from: 'b.0' } }])
})

/** Responses first, then notifications, so frames whose relative order is not fixed compare whole. */
function byKind (frames: Array<Record<string, unknown>>) {
  return [...frames].sort((a, b) => Number('method' in a) - Number('method' in b))
}

test('a batch of 50 broadcasts reaches redis in one write, and every one is confirmed', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const [server] = await spawnCluster(t, 1, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: redis.url })
  const [client] = await connectMany(t, server!.url, 1)
  const plain = new Redis(redis.url)
  t.after(() => plain.disconnect())
  const readsProcessed = async () => Number(/^total_reads_processed:(\d+)/m.exec(await plain.info('stats'))![1])

  const before = await readsProcessed()
  const batch = Array.from({ length: 50 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'broadcast', params: { text: `b${i}` } }))
  client!.send(batch)
  // the client's own 50 broadcasts, then the batch's answer: the order between them is not fixed
  const frames = await Promise.all(Array.from({ length: 51 }, () => client!.next()))
  const answer = frames.find((frame) => Array.isArray(frame)) as Array<{ id: number, result?: unknown }>
  assert.deepEqual(answer.map((reply) => reply.id).sort((x, y) => x - y), batch.map((request) => request.id))
  assert.ok(answer.every((reply) => reply.result !== undefined), JSON.stringify(answer.find((reply) => reply.result === undefined)))
  // the INFO calls are reads of their own, and a presence renewal may land in between
  const reads = await readsProcessed() - before
  t.diagnostic(`redis processed ${reads} reads for the batch`)
  assert.ok(reads <= 5, `redis processed ${reads} reads for one batch of 50 publishes`)
})

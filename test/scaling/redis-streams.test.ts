import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { startBroker } from '../helpers/brokers.js'
import { connect, type TestClient } from '../helpers/client.js'
import { assertNineClientsOnThreeInstances, broadcastAndTally, connectMany, FAST_RECOVERY_ENV, spawnCluster, waitForHealth } from '../helpers/cluster.js'
import { runOutage } from '../helpers/outage.js'
import { fetchMetrics, metricValue, startServer } from '../helpers/server.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'

test('50 broadcasts from clients on three redis-streams instances reach all nine clients exactly once', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  await assertNineClientsOnThreeInstances(t, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis-streams', WS_REDIS_URL: redis.url }, 'streams')
})

/**
 * node0 reaches Redis through a proxy that is cut while node1 publishes 20 acknowledged broadcasts,
 * then restored. Returns what node0's client received of them, up to the marker sent after recovery.
 */
async function cutOffWhilePublishing (t: TestContext, adapter: 'redis' | 'redis-streams', trim = false): Promise<{ missed: string[], received: string[], resyncs: unknown[] } | undefined> {
  const redis = await startBroker(t, 'redis')
  if (!redis) return undefined
  const proxy = await startTcpProxy(t, redis.port)
  const env = { ...FAST_RECOVERY_ENV, WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: adapter }
  const [cutOff] = await spawnCluster(t, 1, { ...env, WS_REDIS_URL: `redis://127.0.0.1:${proxy.port}/0`, WS_INSTANCE_ID: 'node0' })
  const [online] = await spawnCluster(t, 1, { ...env, WS_REDIS_URL: redis.url, WS_INSTANCE_ID: 'node1' })
  const [alice] = await connectMany(t, cutOff!.url, 1)
  const [bob] = await connectMany(t, online!.url, 1)

  const cutAt = Date.now()
  proxy.cut()
  await waitForHealth(cutOff!.http, 503)
  const texts = Array.from({ length: 20 }, (_, i) => `while-cut-${i}`)
  for (const [i, text] of texts.entries()) bob!.send({ jsonrpc: '2.0', id: i, method: 'broadcast', params: { text } })
  const bobSaw = await readUntil(bob!, texts.at(-1)!, texts.length)
  // every one acknowledged: Redis had them all while node0 was away
  assert.deepEqual(bobSaw.acks.sort((a, b) => a.id - b.id), texts.map((_, id) => ({ jsonrpc: '2.0', id, result: { published: true } })))
  assert.deepEqual(bobSaw.texts, texts)

  if (trim) {
    const plain = new Redis(redis.url)
    await plain.xtrim('websocket.broadcast', 'MAXLEN', 0)
    plain.disconnect()
  }
  proxy.restore()
  await waitForHealth(cutOff!.http, 200)
  const restoredAt = Date.now()
  bob!.send({ jsonrpc: '2.0', method: 'broadcast', params: { text: 'marker' } })
  const aliceSaw = await readUntil(alice!, 'marker')
  // `since` is when node0 lost Redis: after the cut, before it was back
  const resyncs = aliceSaw.acks.map((frame) => {
    assert.ok(frame.params.since >= cutAt && frame.params.since <= restoredAt, `since ${frame.params.since} not in [${cutAt}, ${restoredAt}]`)
    return { ...frame, params: { ...frame.params, since: 'in the outage' } }
  })
  return { missed: texts.filter((text) => !aliceSaw.texts.includes(text)), received: aliceSaw.texts.filter((text) => text !== 'marker'), resyncs }
}

const resyncFrame = (reason: string) => ({ jsonrpc: '2.0', method: 'resync', params: { reason, since: 'in the outage', scope: 'all', channels: [] } })

/** Frames up to the broadcast whose text is `last` and the `acks`-th response, whichever comes later. */
async function readUntil (client: TestClient, last: string, acksWanted = 0) {
  const texts: string[] = []
  const acks: any[] = []
  while (texts.at(-1) !== last || acks.length < acksWanted) {
    const frame = await client.next()
    if (frame.method === 'broadcast') texts.push(frame.params.text)
    else acks.push(frame)
  }
  return { texts, acks }
}

test('redis-streams: an instance cut off from redis gets, once back, every broadcast published meanwhile, in order', { timeout: 60_000 }, async (t) => {
  const seen = await cutOffWhilePublishing(t, 'redis-streams')
  if (!seen) return
  assert.deepEqual(seen, { missed: [], received: Array.from({ length: 20 }, (_, i) => `while-cut-${i}`), resyncs: [] })
})

test('redis-streams: an instance whose unread entries were trimmed away while it was cut off tells its clients to resync', { timeout: 60_000 }, async (t) => {
  const seen = await cutOffWhilePublishing(t, 'redis-streams', true)
  if (!seen) return
  assert.deepEqual(seen, { missed: Array.from({ length: 20 }, (_, i) => `while-cut-${i}`), received: [], resyncs: [resyncFrame('stream_gap')] })
})

test('plain redis pub/sub is at-most-once: an instance cut off from redis misses what was published meanwhile', { timeout: 60_000 }, async (t) => {
  const seen = await cutOffWhilePublishing(t, 'redis')
  if (!seen) return
  assert.deepEqual(seen, { missed: Array.from({ length: 20 }, (_, i) => `while-cut-${i}`), received: [], resyncs: [resyncFrame('pubsub_reconnected')] })
})

test('foreign entries in the redis stream are counted and dropped without breaking delivery', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const servers = await spawnCluster(t, 2, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis-streams', WS_REDIS_URL: redis.url })
  const clients = [...await connectMany(t, servers[0]!.url, 1), ...await connectMany(t, servers[1]!.url, 1)]
  const plain = new Redis(redis.url)
  t.after(() => plain.disconnect())
  await plain.xadd('websocket.broadcast', '*', 'other', 'field')
  await plain.xadd('websocket.broadcast', '*', 'e', 'not an envelope')
  const tally = await broadcastAndTally(clients, clients, 10, 'after-foreign')
  assert.deepEqual({ lost: tally.lost, duplicated: tally.duplicated, delivered: tally.delivered }, { lost: 0, duplicated: 0, delivered: 20 })
  for (const server of servers) assert.equal(metricValue(await fetchMetrics(server.http), 'ws_pubsub_errors_total{reason="malformed"}'), 2)
})

test('redis-streams: while the key holds another type /health is 503 and broadcasts answer -32001; once it is fixed, 200 and delivery', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const { url, http } = await startServer(t, { ...FAST_RECOVERY_ENV, WS_PUBSUB_ENABLED: true, WS_PUBSUB_ADAPTER: 'redis-streams', WS_REDIS_URL: redis.url, WS_INSTANCE_ID: 'solo' })
  const alice = await connect(t, url)
  const plain = new Redis(redis.url).on('error', () => {})
  t.after(() => plain.disconnect())
  await plain.set('websocket.broadcast', 'not a stream')

  assert.deepEqual(await alice.call('broadcast', { text: 'refused' }, 1), { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'Broadcast not confirmed: pub/sub unavailable' } })
  const degraded = await waitForHealth(http, 503, 3_000)
  assert.deepEqual({ status: degraded.status, pubsub: degraded.pubsub }, { status: 'degraded', pubsub: { adapter: 'redis-streams', channel: 'websocket.broadcast', connected: false } })
  assert.equal(metricValue(await fetchMetrics(http), 'ws_pubsub_connected'), 0)
  assert.equal(metricValue(await fetchMetrics(http), 'ws_pubsub_errors_total{reason="publish_failed"}'), 1)

  await plain.del('websocket.broadcast')
  await waitForHealth(http, 200, 5_000)
  alice.send({ jsonrpc: '2.0', id: 2, method: 'broadcast', params: { text: 'delivered' } })
  // the ack and the sender's own copy may come in either order
  const frames = [await alice.next(), await alice.next()].sort((x, y) => Number('method' in x) - Number('method' in y))
  assert.deepEqual(frames, [
    { jsonrpc: '2.0', id: 2, result: { published: true } },
    { jsonrpc: '2.0', method: 'broadcast', params: { text: 'delivered', from: 'solo.0' } }
  ])
})

test('redis-streams with AOF: redis killed and restarted, instances serve degraded with 503 and -32001, then deliver again', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis', ['--appendonly', 'yes', '--appendfsync', 'always'])
  if (!redis) return
  const observed = await runOutage(t, redis, { WS_PUBSUB_ADAPTER: 'redis-streams', WS_REDIS_URL: redis.url })
  t.diagnostic(`503 on all instances ${observed.degradedAfterMs} ms after the kill; 200 on all ${observed.recoveredAfterMs} ms after the restart`)
})

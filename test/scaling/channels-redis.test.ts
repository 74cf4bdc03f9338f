import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { startBroker } from '../helpers/brokers.js'
import { awaitPresence, CarriedTally, subscribe, whoAmI } from '../helpers/channels.js'
import { assertDeliveredOnlyToSubscribers, assertKeptChannelsDeliverAfterRestart, assertKilledInstanceLeavesPresence, assertPresenceFollows, assertRaceMissesNothing } from '../helpers/channel-cases.js'
import { connectMany, FAST_RECOVERY_ENV, spawnCluster, waitForHealth } from '../helpers/cluster.js'
import { fetchMetrics, metricValue } from '../helpers/server.js'

const LEASE_MS = 1_500
const PREFIX = 'websocket.broadcast'

// one cluster for the file: three processes and a private Redis, started once, each subtest on its own channels
test('channels on three redis instances', { timeout: 180_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const servers = await spawnCluster(t, 3, {
    ...FAST_RECOVERY_ENV,
    WS_PUBSUB_ENABLED: 'true',
    WS_PUBSUB_ADAPTER: 'redis',
    WS_REDIS_URL: redis.url,
    WS_PRESENCE_LEASE_MS: String(LEASE_MS),
    // a subscribe is confirmed within the publish timeout; 500 ms is too short for a loaded 2-core box running the whole suite
    WS_PUBSUB_PUBLISH_TIMEOUT_MS: '5000'
  })
  const [a, b, c] = servers as [typeof servers[0], typeof servers[0], typeof servers[0]]
  const plain = new Redis(redis.url)
  t.after(() => plain.disconnect())
  // both reconnect by themselves through the restart below; their errors meanwhile are expected
  plain.on('error', () => {})
  // every channel envelope Redis carries, as a pattern subscriber sees it
  const monitor = new Redis(redis.url)
  t.after(() => monitor.disconnect())
  monitor.on('error', () => {})
  const carried = new CarriedTally()
  monitor.on('pmessageBuffer', (_pattern: Buffer, _channel: Buffer, data: Buffer) => carried.note(data))
  await monitor.psubscribe(`${PREFIX}:ch:*`)

  await t.test('each subscriber gets each message once, in order; no one else, and no instance without subscribers', async () => {
    await assertDeliveredOnlyToSubscribers(t, servers, carried, 'redis', async () => {
      assert.deepEqual(await plain.pubsub('NUMSUB', `${PREFIX}:ch:news`, `${PREFIX}:ch:sports`), [`${PREFIX}:ch:news`, 2, `${PREFIX}:ch:sports`, 1])
    })
    // the last subscriber on b left: Redis dropped b from the channel
    assert.deepEqual(await plain.pubsub('NUMSUB', `${PREFIX}:ch:news`), [`${PREFIX}:ch:news`, 1])
  })

  await t.test('1,000 rounds of subscribe on one instance then publish on another miss nothing', async () => {
    await assertRaceMissesNothing(t, servers, 'redis')
    // every round unsubscribed: nothing of the race is left on the broker
    assert.deepEqual(await plain.pubsub('CHANNELS', `${PREFIX}:ch:race-*`), [])
  })

  await t.test('presence shows a join and a leave on every instance within a second', async () => {
    await assertPresenceFollows(t, servers, 'redis')
  })

  await t.test('a redis restart re-subscribes every channel with local subscribers before /health is 200', async () => {
    const [onA] = await connectMany(t, a.url, 1)
    const [onB] = await connectMany(t, b.url, 1)
    const [publisher] = await connectMany(t, c.url, 1)
    const from = await whoAmI(publisher!)
    await subscribe(onA!, 'kept-a')
    await subscribe(onB!, 'kept-b')
    await redis.kill()
    for (const server of servers) await waitForHealth(server.http, 503)
    await redis.restart()
    for (const server of servers) {
      const body = await waitForHealth(server.http, 200)
      assert.deepEqual(body.pubsub, { adapter: 'redis', channel: PREFIX, connected: true })
      assert.equal(metricValue(await fetchMetrics(server.http), 'ws_pubsub_connected'), 1)
    }
    // a fresh Redis knows only what the instances asked for again: each channel from the one instance holding it
    assert.deepEqual(await plain.pubsub('NUMSUB', `${PREFIX}:ch:kept-a`, `${PREFIX}:ch:kept-b`, `${PREFIX}:ch:news`), [
      `${PREFIX}:ch:kept-a`, 1, `${PREFIX}:ch:kept-b`, 1, `${PREFIX}:ch:news`, 1
    ])
    await assertKeptChannelsDeliverAfterRestart(onA!, onB!, publisher!, from)
    // presence came back too: each instance writes its members again once its lease is new
    await awaitPresence(publisher!, 'kept-a', { channel: 'kept-a', count: 1, clients: [{ id: await whoAmI(onA!) }] }, LEASE_MS)
  })

  await t.test('the clients of an instance killed with SIGKILL leave presence within a lease', async () => {
    const aId = await assertKilledInstanceLeavesPresence(t, a, c, LEASE_MS, 'redis')
    // and swept from Redis by the survivors' next renewal: only a's member is left in the hash
    const deadline = Date.now() + LEASE_MS
    while ((await plain.hlen(`${PREFIX}:presence:ch:lease-room`)) !== 1 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20))
    assert.deepEqual(Object.keys(await plain.hgetall(`${PREFIX}:presence:ch:lease-room`)), [aId])
  })
})

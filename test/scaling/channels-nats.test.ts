import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect as natsConnect, type NatsConnection } from 'nats'
import { startBroker } from '../helpers/brokers.js'
import { awaitPresence, awaitQuiet, CarriedTally, message, receivedCounts, subscribe, whoAmI } from '../helpers/channels.js'
import { assertDeliveredOnlyToSubscribers, assertKeptChannelsDeliverAfterRestart, assertKilledInstanceLeavesPresence, assertPresenceFollows, assertRaceMissesNothing } from '../helpers/channel-cases.js'
import { connectMany, FAST_RECOVERY_ENV, spawnCluster, waitForHealth } from '../helpers/cluster.js'
import { fetchMetrics, metricValue } from '../helpers/server.js'

const LEASE_MS = 1_500
const SUBJECT = 'websocket.broadcast'

// one cluster for the file: three processes and a private NATS with JetStream (presence), each subtest on its own channels
test('channels on three nats instances', { timeout: 180_000 }, async (t) => {
  const nats = await startBroker(t, 'nats', ['-js'])
  if (!nats) return
  const servers = await spawnCluster(t, 3, {
    ...FAST_RECOVERY_ENV,
    WS_PUBSUB_ENABLED: 'true',
    WS_PUBSUB_ADAPTER: 'nats',
    WS_NATS_URL: nats.url,
    WS_PRESENCE_LEASE_MS: String(LEASE_MS),
    // a subscribe is confirmed within the publish timeout; 500 ms is too short for a loaded 2-core box running the whole suite
    WS_PUBSUB_PUBLISH_TIMEOUT_MS: '5000'
  })
  const [a, b, c] = servers as [typeof servers[0], typeof servers[0], typeof servers[0]]
  // every channel envelope NATS carries, as a wildcard subscriber sees it
  const monitor: NatsConnection = await natsConnect({ servers: `127.0.0.1:${nats.port}`, reconnectTimeWait: 20, maxReconnectAttempts: -1 })
  t.after(() => monitor.close())
  const carried = new CarriedTally()
  monitor.subscribe(`${SUBJECT}.ch.>`, { callback: (_err, msg) => carried.note(msg.data) })
  await monitor.flush()

  await t.test('each subscriber gets each message once, in order; no one else, and no instance without subscribers', async () => {
    const { newsA1, publisher, from } = await assertDeliveredOnlyToSubscribers(t, servers, carried, 'nats')
    // the last subscriber on b left: NATS stops sending b the channel
    const beforeLast = await awaitQuiet(servers, carried, 9)
    assert.deepEqual(await publisher.call('publish', { channel: 'news', data: 'last' }, 'last'), { jsonrpc: '2.0', id: 'last', result: { channel: 'news', published: true, offset: 0, epoch: '' } })
    assert.deepEqual(await newsA1.next(), message('news', 'last', from))
    assert.deepEqual((await receivedCounts(servers)).map((n, i) => n - beforeLast[i]!), [1, 0, 0])
  })

  await t.test('1,000 rounds of subscribe on one instance then publish on another miss nothing', async () => {
    await assertRaceMissesNothing(t, servers, 'nats')
  })

  await t.test('presence shows a join and a leave on every instance within a second', async () => {
    await assertPresenceFollows(t, servers, 'nats')
  })

  await t.test('a nats restart re-subscribes every channel with local subscribers before /health is 200', async () => {
    const [onA] = await connectMany(t, a.url, 1)
    const [onB] = await connectMany(t, b.url, 1)
    const [publisher] = await connectMany(t, c.url, 1)
    const seen = carried.announcements
    const from = await whoAmI(publisher!)
    await subscribe(onA!, 'kept-a')
    await subscribe(onB!, 'kept-b')
    // whoami's join and leave and the two joins are carried before the kill, so none is in flight after the restart
    await awaitQuiet(servers, carried, seen + 4)
    await nats.kill()
    for (const server of servers) await waitForHealth(server.http, 503)
    await nats.restart()
    for (const server of servers) {
      const body = await waitForHealth(server.http, 200)
      assert.deepEqual(body.pubsub, { adapter: 'nats', channel: SUBJECT, connected: true })
      assert.equal(metricValue(await fetchMetrics(server.http), 'ws_pubsub_connected'), 1)
    }
    const before = await receivedCounts(servers)
    await assertKeptChannelsDeliverAfterRestart(onA!, onB!, publisher!, from)
    // each message reached only the instance that holds its channel
    assert.deepEqual((await receivedCounts(servers)).map((n, i) => n - before[i]!), [1, 1, 0])
    // presence came back too: each instance writes its members again once its lease is new
    await awaitPresence(publisher!, 'kept-a', { channel: 'kept-a', count: 1, clients: [{ id: await whoAmI(onA!) }] }, LEASE_MS)
  })

  await t.test('the clients of an instance killed with SIGKILL leave presence within a lease', async () => {
    await assertKilledInstanceLeavesPresence(t, a, c, LEASE_MS, 'nats')
  })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { spawnServer } from '../helpers/child.js'
import { spawnInstance, waitForHealth } from '../helpers/cluster.js'
import { range } from '../helpers/follower.js'
import { historyEnv, tailLogs } from '../helpers/history.js'
import { fetchMetrics, metricValue } from '../helpers/server.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { describeClients, watchClient, type WatchedClient } from '../helpers/watched-client.js'

const AWAY = 20

async function publishAll (publisher: WatchedClient, channel: string, data: string[]) {
  for (const item of data) await publisher.client.call('publish', { channel, data: item })
}

/**
 * One more message after the recovery, then the whole feed: `before`, what was published while away, `after`, each
 * once, at offsets 1..AWAY + 2, and nothing else pending on the connection.
 */
async function assertFeedWhole (watched: WatchedClient, publisher: WatchedClient, away: string[], waitingFor: string) {
  await publishAll(publisher, 'feed', ['after'])
  await watched.until(() => watched.messagesOf('feed').length === AWAY + 2, waitingFor)
  assert.deepEqual(await watched.client.call('self.reply', { text: 'end' }), { text: 'end' })
  assert.deepEqual(watched.dataOf('feed'), ['before', ...away, 'after'])
  assert.deepEqual(watched.messagesOf('feed').map((message) => message.offset), range(1, AWAY + 2))
}

test(`the client's instance loses Redis while ${AWAY} messages are published elsewhere: on its resync the client recovers exactly them, without reconnecting`, { timeout: 30_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  // instance a reaches Redis through a relay the test can cut; b directly
  const relay = await startTcpProxy(t, redis.port)
  const env = historyEnv(redis, 'redis')
  const a = await spawnInstance(t, { ...env, WS_INSTANCE_ID: 'node0', WS_REDIS_URL: `redis://127.0.0.1:${relay.port}/0` })
  const b = await spawnInstance(t, { ...env, WS_INSTANCE_ID: 'node1' })
  try {
    const watched = watchClient(t, a.url, { reconnect: { minDelayMs: 100, maxDelayMs: 400 } })
    const first = await watched.subscribe('feed').ready
    const publisher = watchClient(t, b.url)
    await publishAll(publisher, 'feed', ['before'])
    await watched.until(() => watched.messagesOf('feed').length === 1, 'the message before the cut')

    relay.cut()
    await waitForHealth(a.http, 503)
    const away = range(0, AWAY - 1).map((i) => `away-${i}`)
    await publishAll(publisher, 'feed', away)
    relay.restore()
    await watched.until(() => watched.subscribedOf('feed').length === 2, 'the resubscription after the resync')

    await assertFeedWhole(watched, publisher, away, 'the message after the resync')
    const [resync, ...more] = watched.of('resync')
    assert.deepEqual(more, [])
    assert.deepEqual({ ...resync!.params, since: 0 }, { reason: 'pubsub_reconnected', since: 0, scope: 'all', channels: ['feed'] })
    const from = watched.messagesOf('feed')[0]!.from
    assert.deepEqual(watched.subscribedOf('feed')[1], {
      channel: 'feed',
      subscribed: true,
      epoch: first.epoch,
      offset: 1 + AWAY,
      recovered: true,
      publications: away.map((data, i) => ({ channel: 'feed', data, from, offset: 2 + i, epoch: first.epoch }))
    })
    // the resync came first, then the recovered messages, then the answer that carried them
    const kinds = watched.heard.map((entry) => entry.kind)
    assert.deepEqual(kinds, ['connected', 'subscribed', 'message', 'resync', ...away.map(() => 'message'), 'subscribed', 'message'])
    assert.deepEqual(watched.of('disconnected'), [])
  } catch (err) {
    tailLogs(t, [a, b])
    describeClients(t)
    throw err
  }
})

test('back on its restarted instance, which has no broker yet, the resubscription answers -32001 and is retried until it recovers exactly what was missed', { timeout: 30_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const relay = await startTcpProxy(t, redis.port)
  const env = { ...historyEnv(redis, 'redis'), WS_INSTANCE_ID: 'node0', WS_REDIS_URL: `redis://127.0.0.1:${relay.port}/0` }
  const a = await spawnInstance(t, env)
  const b = await spawnInstance(t, { ...historyEnv(redis, 'redis'), WS_INSTANCE_ID: 'node1' })
  const servers = [a, b]
  try {
    const watched = watchClient(t, a.url, { reconnect: { minDelayMs: 100, maxDelayMs: 400 } })
    const first = await watched.subscribe('feed').ready
    const publisher = watchClient(t, b.url)
    await publishAll(publisher, 'feed', ['before'])
    await watched.until(() => watched.messagesOf('feed').length === 1, 'the message before the kill')

    relay.cut()
    a.proc.kill('SIGKILL')
    await a.exited
    const away = range(0, AWAY - 1).map((i) => `away-${i}`)
    await publishAll(publisher, 'feed', away)
    // started again without its broker: it serves, degraded, and answers history reads -32001
    const restarted = await spawnServer(t, { ...env, WS_LOG_LEVEL: 'info', WS_PORT: String(a.port) })
    servers.push(restarted)
    await watched.until(() => watched.of('connected').length === 2, 'the reconnect to the restarted instance')
    // two refusals seen by the server: the first resubscription and at least one retry
    const deadline = Date.now() + 10_000
    let refusals = 0
    while (refusals < 2 && Date.now() < deadline) {
      refusals = metricValue(await fetchMetrics(restarted.http), 'ws_rpc_errors_total{code="-32001"}') ?? 0
      if (refusals < 2) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    assert.ok(refusals >= 2, `${refusals} subscribe refusals (-32001) on the restarted instance`)
    assert.equal(watched.subscribedOf('feed').length, 1)

    relay.restore()
    await watched.until(() => watched.subscribedOf('feed').length === 2, 'the resubscription once the broker is back')
    await assertFeedWhole(watched, publisher, away, 'the message after the recovery')
    const restored = watched.subscribedOf('feed')[1]!
    assert.deepEqual({ ...restored, publications: restored.publications.map((publication) => publication.data) },
      { channel: 'feed', subscribed: true, epoch: first.epoch, offset: 1 + AWAY, recovered: true, publications: away })
    // a transient refusal is retried quietly: no error event, no reconnect
    assert.deepEqual(watched.of('error'), [])
    assert.equal(watched.of('connected').length, 2)
    t.diagnostic(`${refusals} -32001 answers before the broker was back; ${watched.of('resync').length} resync notifications`)
  } catch (err) {
    tailLogs(t, servers)
    describeClients(t)
    throw err
  }
})

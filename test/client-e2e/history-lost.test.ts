import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { spawnCluster, waitForHealth } from '../helpers/cluster.js'
import { range } from '../helpers/follower.js'
import { EPOCH, historyEnv, tailLogs } from '../helpers/history.js'
import { describeClients, watchClient } from '../helpers/watched-client.js'

test('redis restarted empty: the resync\'s resubscription says recovered: false with the new epoch, and the new epoch\'s messages are delivered from offset 1', { timeout: 30_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const servers = await spawnCluster(t, 2, historyEnv(redis, 'redis'))
  const [a, b] = servers
  try {
    const watched = watchClient(t, a!.url, { reconnect: { minDelayMs: 100, maxDelayMs: 400 } })
    const first = await watched.subscribe('news').ready
    const publisher = watchClient(t, b!.url)
    const old = range(0, 4).map((i) => `old-${i}`)
    for (const data of old) await publisher.client.call('publish', { channel: 'news', data })
    await watched.until(() => watched.messagesOf('news').length === old.length, 'the messages of the old epoch')

    await redis.kill()
    for (const server of servers) await waitForHealth(server.http, 503)
    await redis.restart()
    for (const server of servers) await waitForHealth(server.http, 200)
    await watched.until(() => watched.subscribedOf('news').length === 2, 'the resubscription after the resync')
    const [, restored] = watched.subscribedOf('news')
    assert.match(restored!.epoch, EPOCH)
    assert.notEqual(restored!.epoch, first.epoch)
    assert.deepEqual(restored, { channel: 'news', subscribed: true, epoch: restored!.epoch, offset: 0, recovered: false, publications: [] })

    // what is published now starts the new epoch at offset 1: none of it may be taken for a message seen already
    const fresh = range(0, 2).map((i) => `new-${i}`)
    for (const data of fresh) await publisher.client.call('publish', { channel: 'news', data })
    await watched.until(() => watched.messagesOf('news').length === old.length + fresh.length, 'the messages of the new epoch')
    assert.deepEqual(await watched.client.call('self.reply', { text: 'end' }), { text: 'end' })
    assert.deepEqual(watched.dataOf('news'), [...old, ...fresh])
    assert.deepEqual(watched.messagesOf('news').map((message) => [message.offset, message.epoch]),
      [...range(1, old.length).map((offset) => [offset, first.epoch]), ...range(1, fresh.length).map((offset) => [offset, restored!.epoch])])
    assert.deepEqual(watched.of('resync').map((entry) => entry.params.reason), ['pubsub_reconnected'])
    assert.deepEqual(watched.of('disconnected'), [])
  } catch (err) {
    tailLogs(t, servers)
    describeClients(t)
    throw err
  }
})

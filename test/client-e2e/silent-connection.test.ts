import assert from 'node:assert/strict'
import { test } from 'node:test'
import { spawnServer } from '../helpers/child.js'
import { range } from '../helpers/follower.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import { describeClients, watchClient } from '../helpers/watched-client.js'

const HEARTBEAT_MS = 1_000
const TIMEOUT_MS = 2_000
// the client pings after PING.intervalMs of silence and gives up PING.timeoutMs later: about 6 s after the
// partition, well after the server gave its end up (two heartbeats) and the app's call timed out
const PING = { intervalMs: 4_000, timeoutMs: 2_000 }
const GIVE_UP_WITHIN_MS = 15_000

test('a connection gone silent (a partition: no close reaches the client) is given up and replaced, and the subscription recovers what was published meanwhile', { timeout: 30_000 }, async (t) => {
  const server = await spawnServer(t, { WS_HISTORY_SIZE: '100', WS_HEARTBEAT_INTERVAL_MS: String(HEARTBEAT_MS) })
  const route = await startTcpProxy(t, server.port)
  try {
    const watched = watchClient(t, `ws://127.0.0.1:${route.port}/ws`, { timeoutMs: TIMEOUT_MS, ping: PING, reconnect: { minDelayMs: 100, maxDelayMs: 400 } })
    const first = await watched.subscribe('feed').ready
    const publisher = watchClient(t, server.url)
    await publisher.client.call('publish', { channel: 'feed', data: 'before' })
    await watched.until(() => watched.messagesOf('feed').length === 1, 'the message before the partition')

    route.freeze()
    const frozenAt = performance.now()
    // the app's next call goes nowhere
    const lost = assert.rejects(watched.client.call('self.reply', { text: 'anyone?' }), { code: 'ETIMEDOUT' })
    // the server gives the silent connection up after two heartbeat intervals; the client is never told
    const deadline = Date.now() + 10_000
    let connections = 2
    while (connections !== 1 && Date.now() < deadline) {
      connections = ((await (await fetch(`${server.http}/health`)).json()) as { connections: number }).connections
      if (connections !== 1) await new Promise((resolve) => setTimeout(resolve, 50))
    }
    assert.equal(connections, 1, 'the server still holds the silent connection')
    const missed = range(0, 4).map((i) => `missed-${i}`)
    for (const data of missed) await publisher.client.call('publish', { channel: 'feed', data })

    await lost
    assert.equal(watched.client.state, 'open', 'given up before the ping timed out')
    await watched.until(() => watched.subscribedOf('feed').length === 2, 'a new connection, resubscribed', GIVE_UP_WITHIN_MS)
    assert.deepEqual(watched.of('disconnected').map(({ code, reason, willReconnect }) => ({ code, reason, willReconnect })),
      [{ code: 1006, reason: 'no answer to ping', willReconnect: true }])
    const silentFor = watched.of('disconnected')[0]!.at - frozenAt
    assert.ok(silentFor >= PING.intervalMs + PING.timeoutMs - 100, `given up ${Math.round(silentFor)} ms after the partition`)
    t.diagnostic(`given up ${Math.round(silentFor)} ms after the partition (ping after ${PING.intervalMs} ms of silence, ${PING.timeoutMs} ms to answer)`)
    await publisher.client.call('publish', { channel: 'feed', data: 'after' })
    await watched.until(() => watched.messagesOf('feed').length === missed.length + 2, 'the message after the new connection')
    assert.deepEqual(watched.dataOf('feed'), ['before', ...missed, 'after'])
    assert.deepEqual(watched.subscribedOf('feed')[1]!.recovered, true)
    assert.deepEqual(watched.subscribedOf('feed')[1]!.epoch, first.epoch)
  } catch (err) {
    describeClients(t)
    throw err
  }
})

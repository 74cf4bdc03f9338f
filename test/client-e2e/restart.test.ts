import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { spawnCluster, spawnInstance } from '../helpers/cluster.js'
import { range } from '../helpers/follower.js'
import { EPOCH, historyEnv, tailLogs } from '../helpers/history.js'
import { startNginx } from '../helpers/nginx.js'
import { describeClients, watchClient, type WatchedClient } from '../helpers/watched-client.js'

// published while the client's instance is down, to each channel, then live once it is back
const MISSED = 20
const AFTER = 3

/** Publishes `data` to `channel` through `publisher`, one after another's answer; returns the answers. */
async function publishAll (publisher: WatchedClient, channel: string, data: string[]) {
  const answers = []
  for (const item of data) answers.push(await publisher.client.call('publish', { channel, data: item }))
  return answers
}

test('SIGKILLed and started again on its port: the client reconnects, and each subscription gets exactly what another instance published meanwhile, once, in order, then live ones', { timeout: 30_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const env = historyEnv(redis, 'redis')
  const servers = await spawnCluster(t, 2, env)
  const [a, b] = servers
  try {
    const watched = watchClient(t, a!.url, { reconnect: { minDelayMs: 100, maxDelayMs: 400 } })
    const alpha = watched.subscribe('alpha')
    const beta = watched.subscribe('beta')
    const [firstAlpha, firstBeta] = await Promise.all([alpha.ready, beta.ready])
    const epochs = { alpha: firstAlpha.epoch, beta: firstBeta.epoch }
    for (const [channel, first] of [['alpha', firstAlpha], ['beta', firstBeta]] as const) {
      assert.match(first.epoch, EPOCH)
      assert.deepEqual(first, { channel, subscribed: true, epoch: first.epoch, offset: 0, recovered: false, publications: [] })
    }

    const publisher = watchClient(t, b!.url)
    // alpha has a last message to recover from; beta none, so it recovers from its subscribe answer's position
    const before = range(0, 2).map((i) => `before-${i}`)
    await publishAll(publisher, 'alpha', before)
    await watched.until(() => watched.messagesOf('alpha').length === before.length, 'the messages before the kill')
    const from = watched.messagesOf('alpha')[0]!.from

    a!.proc.kill('SIGKILL')
    assert.equal(await a!.exited, 'SIGKILL')
    await watched.until(() => watched.of('disconnected').length > 0, 'the disconnected event')
    const droppedAt = watched.of('disconnected')[0]!.at

    // B takes every publish while A is away
    const missed = range(0, MISSED - 1).map((i) => `missed-${i}`)
    const missedAnswers = { alpha: await publishAll(publisher, 'alpha', missed), beta: await publishAll(publisher, 'beta', missed) }
    assert.deepEqual(missedAnswers.alpha, missed.map((_, i) => ({ channel: 'alpha', published: true, offset: before.length + 1 + i, epoch: epochs.alpha })))
    assert.deepEqual(missedAnswers.beta, missed.map((_, i) => ({ channel: 'beta', published: true, offset: 1 + i, epoch: epochs.beta })))

    const restarted = await spawnInstance(t, { ...env, WS_INSTANCE_ID: 'node0', WS_PORT: String(a!.port) })
    servers.push(restarted)
    await watched.until(() => watched.subscribedOf('alpha').length === 2 && watched.subscribedOf('beta').length === 2, 'both subscriptions restored')
    const restoredAt = watched.of('connected')[1]!.at

    const after = range(0, AFTER - 1).map((i) => `after-${i}`)
    await publishAll(publisher, 'alpha', after)
    await publishAll(publisher, 'beta', after)
    await watched.until(() => watched.messagesOf('alpha').length === before.length + MISSED + AFTER && watched.messagesOf('beta').length === MISSED + AFTER, 'the live messages after the restart')
    // a round trip after them: a second copy of any message would have come before this answer
    assert.deepEqual(await watched.client.call('self.reply', { text: 'end' }), { text: 'end' })

    // each channel: every message once, in order, each at the offset it was acknowledged at, under one epoch
    assert.deepEqual(watched.dataOf('alpha'), [...before, ...missed, ...after])
    assert.deepEqual(watched.dataOf('beta'), [...missed, ...after])
    for (const channel of ['alpha', 'beta'] as const) {
      const messages = watched.messagesOf(channel)
      assert.deepEqual(messages.map((message) => [message.offset, message.epoch, message.from]), messages.map((_, i) => [i + 1, epochs[channel], from]))
    }
    // the resubscription recovered exactly the missed ones, from each subscription's own position
    const position = { alpha: before.length, beta: 0 }
    for (const channel of ['alpha', 'beta'] as const) {
      const restored = watched.subscribedOf(channel)[1]!
      assert.deepEqual(restored, {
        channel,
        subscribed: true,
        epoch: epochs[channel],
        offset: position[channel] + MISSED,
        recovered: true,
        publications: missed.map((data, i) => ({ channel, data, from, offset: position[channel] + 1 + i, epoch: epochs[channel] }))
      })
    }

    // one drop (1006: no close frame from a killed process) and one reconnect; the attempts that found the port
    // closed in between are not reported
    const connections = watched.heard.filter((entry) => entry.kind === 'connected' || entry.kind === 'disconnected')
    assert.deepEqual(watched.of('connected').length, 2)
    assert.deepEqual(connections[0], watched.of('connected')[0])
    assert.deepEqual(connections.at(-1), watched.of('connected')[1])
    for (const entry of watched.of('disconnected')) assert.deepEqual([entry.code, entry.willReconnect], [1006, true])
    assert.deepEqual(watched.of('error'), [])
    assert.deepEqual(watched.of('resync'), [])
    t.diagnostic(`down ${Math.round(restoredAt - droppedAt)} ms; the first answer to the restarted instance restored both subscriptions`)
    assert.equal(watched.of('disconnected').length, 1, `disconnected fired ${watched.of('disconnected').length} times for one drop: once per failed attempt`)
  } catch (err) {
    tailLogs(t, servers)
    describeClients(t)
    throw err
  }
})

test('SIGTERM with a drain behind nginx: each client of the instance gets 1001 and reconnects at once to the other, well under its minimum backoff, and no message is lost or repeated', { timeout: 30_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  // the shipped manifests' drain, shortened: upgrades refused at once, clients closed over the spread
  const servers = await spawnCluster(t, 2, { ...historyEnv(redis, 'redis'), WS_DRAIN_DELAY_MS: '300', WS_DRAIN_SPREAD_MS: '600' })
  const [leaving, staying] = servers
  const nginx = await startNginx(t, servers.map((server) => server.port))
  if (!nginx) return
  try {
    const MIN_DELAY_MS = 2_000
    // one after another, so round robin puts two on each instance
    const clients: WatchedClient[] = []
    const firsts = []
    for (let i = 0; i < 4; i++) {
      const watched = watchClient(t, nginx.url, { reconnect: { minDelayMs: MIN_DELAY_MS, maxDelayMs: 4_000 } })
      firsts.push(await watched.subscribe('room').ready)
      clients.push(watched)
    }
    const epoch = firsts[0]!.epoch
    const onLeaving = async () => ((await (await fetch(`${leaving!.http}/health`)).json()) as { connections: number }).connections
    assert.equal(await onLeaving(), 2)

    // published straight to the instance that stays, before, during and after the drain
    const publisher = watchClient(t, staying!.url)
    const sequence = range(0, 59).map((i) => `m-${i}`)
    await publishAll(publisher, 'room', sequence.slice(0, 10))
    const stoppedAt = performance.now()
    leaving!.proc.kill('SIGTERM')
    for (const data of sequence.slice(10)) {
      await publisher.client.call('publish', { channel: 'room', data })
      // a steady pace, so the publishes span the drain delay and spread (about 1 s)
      await new Promise((resolve) => setTimeout(resolve, 25))
    }
    assert.equal(await leaving!.exited, 0)
    for (const watched of clients) await watched.until(() => watched.messagesOf('room').length >= sequence.length, 'the whole sequence')

    const moved = clients.filter((watched) => watched.of('disconnected').length > 0)
    assert.equal(moved.length, 2)
    const waits: number[] = []
    for (const watched of moved) {
      const [drop, ...others] = watched.of('disconnected')
      assert.deepEqual(others, [])
      assert.deepEqual([drop!.code, drop!.reason, drop!.willReconnect], [1001, 'server shutting down', true])
      waits.push(watched.of('connected')[1]!.at - drop!.at)
      const [, restored] = watched.subscribedOf('room')
      assert.deepEqual([restored!.recovered, restored!.epoch], [true, epoch])
    }
    // a backoff wait would be at least MIN_DELAY_MS; 1001 skips it
    for (const wait of waits) assert.ok(wait < MIN_DELAY_MS / 2, `reconnected ${Math.round(wait)} ms after the 1001`)
    for (const watched of clients) {
      assert.deepEqual(await watched.client.call('self.reply', { text: 'end' }), { text: 'end' })
      assert.deepEqual(watched.dataOf('room'), sequence)
      assert.deepEqual(watched.messagesOf('room').map((message) => message.offset), range(1, sequence.length))
      assert.deepEqual(watched.of('error'), [])
    }
    const closedAfter = moved.map((watched) => Math.round(watched.of('disconnected')[0]!.at - stoppedAt))
    t.diagnostic(`closed ${closedAfter.join(' and ')} ms after the SIGTERM; reconnected ${waits.map(Math.round).join(' and ')} ms after the 1001 (minDelayMs ${MIN_DELAY_MS})`)
  } catch (err) {
    tailLogs(t, servers)
    describeClients(t)
    throw err
  }
})

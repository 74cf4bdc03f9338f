import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { ServerProcess } from './child.js'
import type { TestClient } from './client.js'
import { connectMany } from './cluster.js'
import { awaitPresence, awaitQuiet, type CarriedTally, message, receivedCounts, subscribe, subscribeThenPublish, unsubscribe, whoAmI } from './channels.js'

/** The cases every broker's channel suite runs the same way; `broker` names it in the diagnostics. */

const byId = (x: { id: string }, y: { id: string }) => x.id.localeCompare(y.id)

/**
 * Two `news` subscribers on each of a and b, one `sports` subscriber on c, 20 news and one sports message from c:
 * each subscriber gets its messages once and in order, no one else gets any, and each instance takes off the broker
 * only its channels' messages. `onSubscribed` may check the broker before publishing. Returns the clients for more.
 */
export async function assertDeliveredOnlyToSubscribers (t: TestContext, servers: ServerProcess[], carried: CarriedTally, broker: string, onSubscribed: () => Promise<void> = async () => {}) {
  const [a, b, c] = servers as [ServerProcess, ServerProcess, ServerProcess]
  const [newsA1, newsA2, idleA] = await connectMany(t, a.url, 3)
  const [newsB1, newsB2, idleB] = await connectMany(t, b.url, 3)
  const [sportsC, publisher] = await connectMany(t, c.url, 2)
  const from = await whoAmI(publisher!)
  for (const client of [newsA1!, newsA2!, newsB1!, newsB2!]) await subscribe(client, 'news')
  await subscribe(sportsC!, 'sports')
  await onSubscribed()
  // the whoami channel's join and leave, then the five joins here
  const before = await awaitQuiet(servers, carried, 7)
  carried.messages.clear()

  for (let i = 0; i < 20; i++) publisher!.send({ jsonrpc: '2.0', id: i, method: 'publish', params: { channel: 'news', data: { seq: i } } })
  publisher!.send({ jsonrpc: '2.0', id: 20, method: 'publish', params: { channel: 'sports', data: 'goal' } })
  const acks = await Promise.all(Array.from({ length: 21 }, () => publisher!.next()))
  assert.deepEqual(acks, [
    ...Array.from({ length: 20 }, (_, i) => ({ jsonrpc: '2.0', id: i, result: { channel: 'news', published: true, offset: 0, epoch: '' } })),
    { jsonrpc: '2.0', id: 20, result: { channel: 'sports', published: true, offset: 0, epoch: '' } }
  ])
  const expected = Array.from({ length: 20 }, (_, i) => message('news', { seq: i }, from))
  for (const client of [newsA1!, newsA2!, newsB1!, newsB2!]) {
    assert.deepEqual(await Promise.all(expected.map(() => client.next())), expected)
  }
  assert.deepEqual(await sportsC!.next(), message('sports', 'goal', from))
  // a round trip after the last message: had one reached a non-subscriber, it would come before this answer
  for (const client of [idleA!, idleB!, publisher!, newsA1!, newsB1!, sportsC!]) {
    assert.deepEqual(await client.call('self.reply', { text: 'after' }, 'r'), { jsonrpc: '2.0', id: 'r', result: { text: 'after' } })
  }
  // news reached a and b only, sports c only: c never took a news envelope off the broker
  const after = await receivedCounts(servers)
  t.diagnostic(`${broker} carried ${JSON.stringify(Object.fromEntries(carried.messages))}; instances received ${after.map((n, i) => n - before[i]!).join(', ')}`)
  assert.deepEqual(after.map((n, i) => n - before[i]!), [20, 20, 1])
  assert.deepEqual(Object.fromEntries(carried.messages), { news: 20, sports: 1 })

  // the last subscriber on b leaves
  await unsubscribe(newsB1!, 'news')
  await unsubscribe(newsB2!, 'news')
  return { newsA1: newsA1!, publisher: publisher!, from }
}

/** 1,000 rounds: a fresh channel subscribed on a, published on b as soon as the subscribe is answered; none missed. */
export async function assertRaceMissesNothing (t: TestContext, servers: ServerProcess[], broker: string) {
  const subscribers = await connectMany(t, servers[0]!.url, 20)
  const [publisher] = await connectMany(t, servers[1]!.url, 1)
  const started = Date.now()
  const { misses, wrong, answers } = await subscribeThenPublish(subscribers, publisher!, 1_000, 'race')
  t.diagnostic(`${broker}: 1,000 rounds in ${Date.now() - started} ms, ${misses} missed`)
  assert.equal(misses, 0)
  assert.deepEqual(wrong, [])
  assert.equal(answers.length, 1_000)
  for (const answer of answers as Array<{ id: string }>) {
    assert.deepEqual(answer, { jsonrpc: '2.0', id: answer.id, result: { channel: `race-${answer.id.split(':')[1]}`, published: true, offset: 0, epoch: '' } })
  }
}

/** A join on a and b, then a leave on b, each seen by presence on c within a second. */
export async function assertPresenceFollows (t: TestContext, servers: ServerProcess[], broker: string) {
  const [alice] = await connectMany(t, servers[0]!.url, 1)
  const [bob] = await connectMany(t, servers[1]!.url, 1)
  const [carol] = await connectMany(t, servers[2]!.url, 1)
  const aliceId = await whoAmI(alice!)
  const bobId = await whoAmI(bob!)
  await subscribe(alice!, 'room')
  await subscribe(bob!, 'room')
  const joinMs = await awaitPresence(carol!, 'room', { channel: 'room', count: 2, clients: [{ id: aliceId }, { id: bobId }].sort(byId) }, 1_000)
  await unsubscribe(bob!, 'room')
  const leaveMs = await awaitPresence(carol!, 'room', { channel: 'room', count: 1, clients: [{ id: aliceId }] }, 1_000)
  t.diagnostic(`${broker} presence: join seen on a third instance after ${joinMs} ms, leave after ${leaveMs} ms`)
}

/**
 * A member on `killed` and one on `survivor`, then `killed` gets SIGKILL: its member leaves presence within a lease
 * (plus the renewal slack). Returns the survivor's member id, for the broker's own checks.
 */
export async function assertKilledInstanceLeavesPresence (t: TestContext, survivor: ServerProcess, killed: ServerProcess, leaseMs: number, broker: string): Promise<string> {
  const [onKilled] = await connectMany(t, killed.url, 1)
  const [onSurvivor] = await connectMany(t, survivor.url, 1)
  const killedId = await whoAmI(onKilled!)
  const survivorId = await whoAmI(onSurvivor!)
  await subscribe(onKilled!, 'lease-room')
  await subscribe(onSurvivor!, 'lease-room')
  await awaitPresence(onSurvivor!, 'lease-room', { channel: 'lease-room', count: 2, clients: [{ id: killedId }, { id: survivorId }].sort(byId) }, 1_000)
  const killedAt = Date.now()
  killed.proc.kill('SIGKILL')
  await killed.exited
  // the lease was renewed at most a third of a lease before the kill
  await awaitPresence(onSurvivor!, 'lease-room', { channel: 'lease-room', count: 1, clients: [{ id: survivorId }] }, leaseMs + 500)
  const goneMs = Date.now() - killedAt
  t.diagnostic(`${broker} presence: a killed instance's member gone after ${goneMs} ms (lease ${leaseMs} ms)`)
  assert.ok(goneMs <= leaseMs + 500, `gone after ${goneMs} ms`)
  return survivorId
}

/**
 * After a broker restart: every client of the three instances is told to resync, then a publish to `kept-a` (held on
 * `onA`'s instance) and to `kept-b` (on `onB`'s) each reaches its subscriber and is confirmed to the publisher.
 */
export async function assertKeptChannelsDeliverAfterRestart (onA: TestClient, onB: TestClient, publisher: TestClient, from: string) {
  // each instance lost its subscription for the outage: its clients are told they may have missed messages
  // each names the channels its client is subscribed to, the ones it may recover
  for (const [client, channels] of [[onA, ['kept-a']], [onB, ['kept-b']], [publisher, []]] as const) {
    const resync = await client.next()
    assert.deepEqual({ ...resync, params: { ...resync.params, since: 0 } }, { jsonrpc: '2.0', method: 'resync', params: { reason: 'pubsub_reconnected', since: 0, scope: 'all', channels } })
  }
  publisher.send({ jsonrpc: '2.0', id: 1, method: 'publish', params: { channel: 'kept-a', data: 'a' } })
  publisher.send({ jsonrpc: '2.0', id: 2, method: 'publish', params: { channel: 'kept-b', data: 'b' } })
  assert.deepEqual(await onA.next(), message('kept-a', 'a', from))
  assert.deepEqual(await onB.next(), message('kept-b', 'b', from))
  assert.deepEqual([await publisher.next(), await publisher.next()], [
    { jsonrpc: '2.0', id: 1, result: { channel: 'kept-a', published: true, offset: 0, epoch: '' } },
    { jsonrpc: '2.0', id: 2, result: { channel: 'kept-b', published: true, offset: 0, epoch: '' } }
  ])
}

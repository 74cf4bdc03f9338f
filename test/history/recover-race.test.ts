import assert from 'node:assert/strict'
import { test } from 'node:test'
import { follow, PublishLoop, range, type Follower, type Positioned } from '../helpers/follower.js'
import { EPOCH, spawnHistoryCluster, tailLogs, HISTORY_ADAPTERS, startHistoryBroker } from '../helpers/history.js'

const CHANNEL = 'race'
const ROUNDS = 1_000
/**
 * The loop is bounded in time as well as count: a loaded machine does fewer rounds, each checked in full, and the
 * test fails only below MIN_ROUNDS. A JetStream read is a few API round trips (see nats-history.ts): nats gets longer.
 */
const DEADLINE_MS: Record<string, number> = { redis: 30_000, 'redis-streams': 30_000, nats: 40_000 }
const MIN_ROUNDS = 200

/** Where an answer sits in a follower's log. */
function indexOfAnswer (follower: Follower, id: string): number {
  const index = follower.log.findIndex((seen) => seen.kind === 'answer' && seen.id === id)
  assert.ok(index >= 0, `answer ${id} not in the log`)
  return index
}

/** The messages a follower's log holds between two indexes. */
function messagesBetween (follower: Follower, from: number, to: number): Positioned[] {
  return follower.log.slice(from, to).flatMap((seen) => seen.kind === 'message' ? [seen.params] : [])
}

for (const adapter of HISTORY_ADAPTERS) {
  test(`${adapter}: up to ${ROUNDS} unsubscribe / subscribe-with-recover rounds alternating between two instances, under publishes from both, ` +
    'see every offset once, in order', { timeout: DEADLINE_MS[adapter]! + 25_000 }, async (t) => {
    const broker = await startHistoryBroker(t, adapter)
    if (!broker) return
    const servers = await spawnHistoryCluster(t, broker, adapter, 2)
    const [a, b] = servers
    try {
      // the reader keeps one connection on each instance and moves its subscription from one to the other each round
      const readers = [await follow(t, a!.url), await follow(t, b!.url)] as const
      const publishers = [await follow(t, a!.url), await follow(t, b!.url)]
      const first = await readers[0].call('subscribe', { channel: CHANNEL })
      const epoch = first.result.epoch
      assert.match(epoch, EPOCH)
      assert.deepEqual(first.result, { channel: CHANNEL, subscribed: true, epoch, offset: 0, recovered: false, publications: [] })
      // how far each reader's log has been accounted for: past it, a message is one the reader has not placed yet
      const accounted = [indexOfAnswer(readers[0], first.id) + 1, readers[1].log.length]
      const loops = publishers.map((publisher, i) => new PublishLoop(publisher, CHANNEL, `p${i}`, 200_000))

      // everything the reader took, in the order it took it: publications, then live messages, round after round
      const taken: Positioned[] = []
      let last = 0
      const take = (messages: Positioned[], round: number, how: string) => {
        for (const message of messages) {
          // each round is checked as it goes: the next offset, in the same epoch, or the round fails here
          assert.deepEqual({ offset: message.offset, epoch: message.epoch }, { offset: last + 1, epoch }, `round ${round}: ${how} after offset ${last}`)
          last = message.offset
          taken.push(message)
        }
      }
      let recoveredTotal = 0
      const started = Date.now()
      let current = 0
      let rounds = 0
      for (let round = 1; round <= ROUNDS && Date.now() - started < DEADLINE_MS[adapter]!; round++) {
        rounds = round
        const from = readers[current]!
        const to = readers[1 - current]!
        // what arrived on the subscribed connection until its unsubscribe was answered is live, and comes in order
        const left = await from.call('unsubscribe', { channel: CHANNEL })
        assert.deepEqual(left.result, { channel: CHANNEL, subscribed: false })
        const leftAt = indexOfAnswer(from, left.id)
        const live = messagesBetween(from, accounted[current]!, leftAt)
        take(live, round, 'live')
        accounted[current] = leftAt + 1

        const joined = await to.call('subscribe', { channel: CHANNEL, recover: { offset: last, epoch } })
        const joinedAt = indexOfAnswer(to, joined.id)
        // an unsubscribed connection gets nothing, and a subscriber nothing before its answer
        assert.deepEqual(messagesBetween(to, accounted[1 - current]!, joinedAt), [], `round ${round}: a message before the answer`)
        assert.equal(joined.result.recovered, true, `round ${round}: not recovered from ${last}`)
        assert.equal(joined.result.epoch, epoch)
        const position = last
        take(joined.result.publications, round, 'recovered')
        assert.equal(joined.result.offset, position + joined.result.publications.length, `round ${round}: the answer's offset`)
        recoveredTotal += joined.result.publications.length
        accounted[1 - current] = joinedAt + 1
        // one live message at least before leaving again, so each round also crosses from catching up to receiving
        await to.until(() => to.log.length > accounted[1 - current]!, `round ${round}: a live message after the answer`, 5_000)
        current = 1 - current
      }
      const roundsMs = Date.now() - started
      assert.ok(rounds >= MIN_ROUNDS, `only ${rounds} rounds in ${roundsMs} ms`)
      await Promise.all(loops.map((loop) => loop.stop()))

      // the publishes: all acknowledged, their offsets 1..N with none twice, each publisher's in its own order
      for (const loop of loops) {
        assert.deepEqual(loop.refused, [])
        const offsets = loop.acked.map((ack) => ack.offset)
        assert.deepEqual(offsets, [...offsets].sort((x, y) => x - y))
      }
      const acks = loops.flatMap((loop) => loop.acked).sort((x, y) => x.offset - y.offset)
      const published = acks.length
      assert.deepEqual(acks.map((ack) => ack.offset), range(1, published))
      for (const ack of acks) assert.equal(ack.epoch, epoch)

      // the last of them, as a last recovery, then the whole account: exactly what was acknowledged, in order
      const reader = readers[current]!
      const other = readers[1 - current]!
      const held = await reader.call('unsubscribe', { channel: CHANNEL })
      take(messagesBetween(reader, accounted[current]!, indexOfAnswer(reader, held.id)), rounds + 1, 'live')
      const final = await other.call('subscribe', { channel: CHANNEL, recover: { offset: last, epoch } })
      assert.deepEqual(messagesBetween(other, accounted[1 - current]!, indexOfAnswer(other, final.id)), [])
      assert.equal(final.result.recovered, true)
      take(final.result.publications, rounds + 1, 'recovered')
      assert.equal(final.result.offset, published)
      assert.equal(last, published)
      assert.deepEqual(taken.map((message) => message.data), acks.map((ack) => ack.data))
      // each publisher's messages carry its one client id
      for (const tag of ['p0', 'p1']) assert.equal(new Set(taken.filter((m) => String(m.data).startsWith(`${tag}-`)).map((m) => m.from)).size, 1)
      // and nothing else came on either connection
      for (const r of readers) assert.deepEqual((await r.call('self.reply', { text: 'end' })).result, { text: 'end' })
      const recoveredAll = recoveredTotal + final.result.publications.length
      const liveTaken = taken.length - recoveredAll
      // every message either connection received was one placed above, inside a subscribed window
      assert.equal(readers[0].messages.length + readers[1].messages.length, liveTaken)
      t.diagnostic(`${adapter}: ${rounds} rounds in ${roundsMs} ms; ${published} published (${loops.map((l) => l.acked.length).join(' + ')}), ` +
        `${recoveredAll} taken from recoveries and ${liveTaken} live`)
    } catch (err) {
      tailLogs(t, servers)
      throw err
    }
  })
}

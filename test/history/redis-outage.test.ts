import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { connectMany, waitForHealth } from '../helpers/cluster.js'
import { Follower, PublishLoop, range, type Positioned } from '../helpers/follower.js'
import { EPOCH, offsetsOf, spawnHistoryCluster, tailLogs } from '../helpers/history.js'

const CHANNEL = 'orders'
const BEFORE = 50
const OUTAGE_MS = 5_000
// publish rounds while Redis is away: one publish per instance a round, a round every 50 ms or so
const MAX_OUTAGE_ROUNDS = 150
const AFTER_PER_PUBLISHER = 40
const REFUSED = { code: -32001, message: 'Broadcast not confirmed: pub/sub unavailable' }

test('redis (AOF, fsync always) killed for 5 s and restarted with its data: acknowledged messages stay in the same epoch, ' +
  'every publish meanwhile is refused, and each subscriber recovers after its resync with no gap', { timeout: 55_000 }, async (t) => {
  const redis = await startBroker(t, 'redis', ['--appendonly', 'yes', '--appendfsync', 'always'])
  if (!redis) return
  const servers = await spawnHistoryCluster(t, redis, 'redis', 3)
  try {
    // on each instance: two subscribers and a publisher that subscribes to nothing
    const subscribers: Follower[] = []
    const publishers: Follower[] = []
    for (const server of servers) {
      const [s1, s2, p] = (await connectMany(t, server.url, 3)).map((client) => new Follower(client))
      subscribers.push(s1!, s2!)
      publishers.push(p!)
    }
    const firsts = await Promise.all(subscribers.map((s) => s.call('subscribe', { channel: CHANNEL })))
    const epoch = firsts[0].result.epoch
    assert.match(epoch, EPOCH)
    for (const first of firsts) assert.deepEqual(first.result, { channel: CHANNEL, subscribed: true, epoch, offset: 0, recovered: false, publications: [] })

    // 50 acknowledged before the outage, round-robin over the three instances
    for (let i = 0; i < BEFORE; i++) {
      const answer = await publishers[i % 3]!.call('publish', { channel: CHANNEL, data: `before-${i}` })
      assert.deepEqual(answer.result, { channel: CHANNEL, published: true, offset: i + 1, epoch })
    }
    for (const s of subscribers) await s.until(() => s.messages.length === BEFORE, `${BEFORE} live messages before the outage`)

    const killedAt = Date.now()
    await redis.kill()
    for (const server of servers) await waitForHealth(server.http, 503)
    // every publish while Redis is away is refused: none is acknowledged, so none can be lost
    let outageRounds = 0
    const outageAnswers: unknown[] = []
    while (Date.now() - killedAt < OUTAGE_MS && outageRounds < MAX_OUTAGE_ROUNDS) {
      const round = outageRounds++
      outageAnswers.push(...await Promise.all(publishers.map((p, i) => p.call('publish', { channel: CHANNEL, data: `outage-${round}-${i}` }))))
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    assert.ok(Date.now() - killedAt >= OUTAGE_MS, `only ${outageRounds} rounds in ${Date.now() - killedAt} ms`)
    assert.deepEqual(outageAnswers.map((answer: any) => answer.error), Array(outageRounds * 3).fill(REFUSED))
    // nor can history be read, or a position recovered
    const unreadable = await subscribers[0]!.call('history', { channel: CHANNEL })
    assert.deepEqual(unreadable.error, { code: -32001, message: 'History not available: pub/sub unavailable' })

    await redis.restart()
    const restartedAt = Date.now()
    // publishing resumes at once from every instance; an instance not reconnected yet refuses, and is tried again
    const loops = publishers.map((p, i) => new PublishLoop(p, CHANNEL, `after${i}`, 2_000, 10))

    // each subscriber is told, and recovers from the last message it saw
    const recoveries = await Promise.all(subscribers.map(async (s) => {
      await s.until(() => s.resyncs.length > 0, 'a resync after the restart')
      // what a client knows for sure it has: everything up to the last message before it was told it may have missed some
      const last = s.positionAtResync!
      const answer = await s.call('subscribe', { channel: CHANNEL, recover: { offset: last.offset, epoch: last.epoch } })
      assert.equal(answer.error, undefined, JSON.stringify(answer.error))
      return { from: last.offset, ...answer.result as { recovered: boolean, epoch: string, offset: number, publications: Positioned[] } }
    }))
    for (const server of servers) await waitForHealth(server.http, 200)
    const recoveredAfterMs = Date.now() - restartedAt
    await Promise.all(loops.map((loop) => loop.whenAcked(AFTER_PER_PUBLISHER)))
    await Promise.all(loops.map((loop) => loop.stop()))

    // what was acknowledged: 1..N under the same epoch, each offset once
    const acks = [...range(0, BEFORE - 1).map((i) => ({ offset: i + 1, epoch, data: `before-${i}` })), ...loops.flatMap((loop) => loop.acked)]
    acks.sort((x, y) => x.offset - y.offset)
    const published = acks.length
    assert.deepEqual(acks.map((ack) => ack.offset), range(1, published))
    for (const ack of acks) assert.equal(ack.epoch, epoch)
    const dataAt = new Map(acks.map((ack) => [ack.offset, ack.data]))
    const refusedAfter = loops.flatMap((loop) => loop.refused)
    for (const refused of refusedAfter) assert.deepEqual(refused, REFUSED)

    // every subscriber ends up with exactly the acknowledged offsets: live, or in its recovery, never a silent gap
    for (const [i, s] of subscribers.entries()) {
      const recovery = recoveries[i]!
      const has = () => new Set([...s.messages, ...recovery.publications].map((m) => m.offset))
      await s.until(() => has().has(published), `subscriber ${i}: offset ${published}`)
      await s.call('self.reply', { text: 'end' })
      // the instance's stream is in order and a message goes to a recipient once
      const live = offsetsOf(s.messages, epoch)
      const gaps = live.filter((offset, k) => k > 0 && offset !== live[k - 1]! + 1).map((offset) => `${live[live.indexOf(offset) - 1]}→${offset}`)
      t.diagnostic(`subscriber ${i}: resync after offset ${recovery.from}, live jumps ${gaps.join(' ') || 'none'}`)
      assert.deepEqual(live, [...live].sort((x, y) => x - y), `subscriber ${i}: live messages out of order`)
      assert.equal(new Set(live).size, live.length, `subscriber ${i}: a live message twice`)
      // the resync comes before any message that followed the gap, so the position it leaves the client with is sound
      assert.equal(recovery.from, BEFORE, `subscriber ${i}: messages past the gap came before the resync`)
      // with the data kept through the restart, the position is still good: recovered, same epoch
      assert.equal(recovery.recovered, true, `subscriber ${i} was told to resync from scratch`)
      assert.equal(recovery.epoch, epoch)
      assert.deepEqual(offsetsOf(recovery.publications, epoch), range(recovery.from + 1, recovery.offset))
      assert.deepEqual([...has()].sort((x, y) => x - y), range(1, published), `subscriber ${i}: a gap or a stranger`)
      for (const m of [...s.messages, ...recovery.publications]) assert.equal(m.data, dataAt.get(m.offset))
      assert.deepEqual(s.resyncs.map((r) => ({ ...r, since: 0 })), [{ reason: 'pubsub_reconnected', since: 0, scope: 'all', channels: [CHANNEL] }])
      assert.ok(s.resyncs[0]!.since >= killedAt - 1_000 && s.resyncs[0]!.since <= restartedAt, `resync since ${s.resyncs[0]!.since}`)
    }
    // the publishers subscribe to nothing: told too, with no channel to recover
    for (const p of publishers) assert.deepEqual(p.resyncs.map((r) => r.channels), [[]])

    // a newcomer from the start of the epoch gets every acknowledged message, the 50 from before the outage first
    const [newcomer] = (await connectMany(t, servers[1]!.url, 1)).map((client) => new Follower(client))
    const all = (await newcomer!.call('subscribe', { channel: CHANNEL, recover: { offset: 0, epoch } })).result
    assert.equal(all.recovered, true)
    assert.equal(all.epoch, epoch)
    assert.deepEqual(offsetsOf(all.publications, epoch), range(1, published))
    assert.deepEqual(all.publications.map((m: Positioned) => m.data), acks.map((ack) => ack.data))

    // what each recovery added beyond what its subscriber had live: messages its instance missed while reconnecting
    const filled = subscribers.map((s, i) => {
      const live = new Set(s.messages.map((m) => m.offset))
      return recoveries[i]!.publications.filter((m) => !live.has(m.offset)).length
    })
    t.diagnostic(`outage ${OUTAGE_MS} ms: ${outageRounds * 3} publishes refused, 0 acknowledged; after the restart ${published - BEFORE} acknowledged ` +
      `and ${refusedAfter.length} refused before their instance was back (all back ${recoveredAfterMs} ms after the restart); ` +
      `recovered per subscriber ${recoveries.map((r) => r.publications.length).join(', ')}, of which missed live ${filled.join(', ')}`)
  } catch (err) {
    tailLogs(t, servers)
    throw err
  }
})

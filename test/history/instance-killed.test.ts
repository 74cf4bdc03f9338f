import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { follow, PublishLoop, range } from '../helpers/follower.js'
import { EPOCH, expectedByOffset, offsetsOf, spawnHistoryCluster, tailLogs } from '../helpers/history.js'

const CHANNEL = 'ticker'
// live before the kill, published while the client is away, and published during and after its recovery
const SEEN_BEFORE = 50
const WHILE_AWAY = 100
const AFTER_BACK = 100

test('redis: the instance a client was on is SIGKILLed; back on another instance with its last position, it gets every message once, in order', { timeout: 45_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  // the client starts on victim, comes back on refuge; the publisher sits on a third instance throughout
  const servers = await spawnHistoryCluster(t, redis, 'redis', 3)
  const [victim, refuge, third] = servers
  try {
    const client = await follow(t, victim!.url)
    const publisher = await follow(t, third!.url)
    const first = await client.call('subscribe', { channel: CHANNEL })
    const epoch = first.result.epoch
    assert.match(epoch, EPOCH)
    assert.deepEqual(first.result, { channel: CHANNEL, subscribed: true, epoch, offset: 0, recovered: false, publications: [] })

    // one publish after another's answer, without pause, from before the kill to after the recovery
    const loop = new PublishLoop(publisher, CHANNEL, 'tick', 5_000)
    await client.until(() => client.messages.length >= SEEN_BEFORE, `${SEEN_BEFORE} live messages before the kill`)
    victim!.proc.kill('SIGKILL')
    assert.equal(await victim!.exited, 'SIGKILL')
    const closed = await client.client.closed
    assert.equal(closed.code, 1006)
    const seenBefore = client.messages.length
    const last = client.messages.at(-1)!
    const ackedAtKill = loop.acked.length
    await loop.whenAcked(ackedAtKill + WHILE_AWAY)

    // the recovery races the publishes still going on
    const back = await follow(t, refuge!.url)
    const recovered = (await back.call('subscribe', { channel: CHANNEL, recover: { offset: last.offset, epoch: last.epoch } })).result
    const ackedAtRecovery = loop.acked.length
    await loop.whenAcked(ackedAtRecovery + AFTER_BACK)
    await loop.stop()

    // every publish was acknowledged, at 1..N under one epoch, in the order sent
    const published = loop.acked.length
    assert.deepEqual(loop.refused, [])
    assert.deepEqual(loop.acked.map((ack) => ack.offset), range(1, published))
    const from = client.messages[0]!.from
    const expected = expectedByOffset(CHANNEL, loop.acked, from)

    await back.until(() => back.messages.at(-1)?.offset === published, `live messages up to offset ${published}`)
    const echo = await back.call('self.reply', { text: 'end' })
    assert.deepEqual(echo.result, { text: 'end' })

    assert.equal(recovered.recovered, true)
    assert.equal(recovered.epoch, epoch)
    assert.equal(recovered.offset, last.offset + recovered.publications.length)
    // before the kill, then the answer's publications, then live: each offset once, in order, as acknowledged
    const seen = [...client.messages, ...recovered.publications, ...back.messages]
    assert.deepEqual(offsetsOf(seen, epoch), range(1, published))
    assert.deepEqual(seen, range(1, published).map((offset) => expected.get(offset)))
    assert.deepEqual(back.log.map((entry) => entry.kind), ['answer', ...back.messages.map(() => 'message'), 'answer'])
    t.diagnostic(`${published} published: ${seenBefore} seen before the kill, ${recovered.publications.length} recovered on another instance, ` +
      `${back.messages.length} live after; ${ackedAtRecovery - ackedAtKill} acknowledged between the kill and the recovery`)
  } catch (err) {
    tailLogs(t, servers)
    throw err
  }
})

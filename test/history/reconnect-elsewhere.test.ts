import assert from 'node:assert/strict'
import { test } from 'node:test'
import { follow, range, type Ack } from '../helpers/follower.js'
import { EPOCH, expectedByOffset, offsetsOf, spawnHistoryCluster, tailLogs, HISTORY_ADAPTERS, startHistoryBroker } from '../helpers/history.js'

const CHANNEL = 'feed'
const MISSED = 200

for (const adapter of HISTORY_ADAPTERS) {
  test(`${adapter}: a client away while ${MISSED} messages are published recovers exactly them on another instance, then takes live ones once`, { timeout: 45_000 }, async (t) => {
    const broker = await startHistoryBroker(t, adapter)
    if (!broker) return
    // the subscriber starts on a, the publisher sits on b, the subscriber comes back on c
    const servers = await spawnHistoryCluster(t, broker, adapter, 3)
    const [a, b, c] = servers
    try {
      const away = await follow(t, a!.url)
      const publisher = await follow(t, b!.url)

      const first = await away.call('subscribe', { channel: CHANNEL })
      const epoch = first.result?.epoch
      assert.match(epoch, EPOCH)
      assert.deepEqual(first.result, { channel: CHANNEL, subscribed: true, epoch, offset: 0, recovered: false, publications: [] })

      // three seen live, so the client has a position to come back with
      const before: Ack[] = []
      for (let i = 0; i < 3; i++) {
        const answer = await publisher.call('publish', { channel: CHANNEL, data: `before-${i}` })
        assert.deepEqual(answer.result, { channel: CHANNEL, published: true, offset: i + 1, epoch })
        before.push({ offset: i + 1, epoch, data: `before-${i}` })
      }
      await away.until(() => away.messages.length === 3, 'the three messages before the disconnect')
      const from = away.messages[0]!.from
      assert.deepEqual(away.messages, [...expectedByOffset(CHANNEL, before, from).values()])
      const last = { offset: away.messages.at(-1)!.offset, epoch: away.messages.at(-1)!.epoch }

      away.client.ws.terminate()
      await away.client.closed

      // all 200 sent at once, each answered with its place: 4..203, in the order they were sent
      const answers = await Promise.all(range(0, MISSED - 1).map((i) => publisher.call('publish', { channel: CHANNEL, data: `missed-${i}` })))
      assert.deepEqual(answers.map((answer) => answer.result), range(0, MISSED - 1).map((i) => ({ channel: CHANNEL, published: true, offset: 4 + i, epoch })))
      const missed = range(0, MISSED - 1).map((i) => ({ offset: 4 + i, epoch, data: `missed-${i}` }))

      const back = await follow(t, c!.url)
      const recovered = await back.call('subscribe', { channel: CHANNEL, recover: last })
      assert.deepEqual(recovered.result, {
        channel: CHANNEL,
        subscribed: true,
        epoch,
        offset: 3 + MISSED,
        recovered: true,
        publications: [...expectedByOffset(CHANNEL, missed, from).values()]
      })

      const after = await publisher.call('publish', { channel: CHANNEL, data: 'after' })
      assert.deepEqual(after.result, { channel: CHANNEL, published: true, offset: 4 + MISSED, epoch })
      await back.until(() => back.messages.length === 1, 'the live message after the recovery')
      // a round trip after it: a second copy would have come before this answer
      const echo = await back.call('self.reply', { text: 'end' })
      assert.deepEqual(echo.result, { text: 'end' })
      assert.deepEqual(back.messages, [{ channel: CHANNEL, data: 'after', from, offset: 4 + MISSED, epoch }])
      assert.deepEqual(offsetsOf(back.messages, epoch), [4 + MISSED])
      // the answer first, then the live message, then the echo
      assert.deepEqual(back.log.map((seen) => seen.kind), ['answer', 'message', 'answer'])
      t.diagnostic(`${adapter}: ${MISSED} missed messages recovered on a third instance in one answer; epoch ${epoch}`)
    } catch (err) {
      tailLogs(t, servers)
      throw err
    }
  })
}

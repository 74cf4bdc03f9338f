import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { startBroker, type Broker } from '../helpers/brokers.js'
import { waitForHealth } from '../helpers/cluster.js'
import type { ServerProcess } from '../helpers/child.js'
import { follow, range } from '../helpers/follower.js'
import { EPOCH, offsetsOf, spawnHistoryCluster, tailLogs } from '../helpers/history.js'

const CHANNEL = 'news'
const BEFORE = 20
const AFTER = 5

/** Two ways Redis loses every channel's history: emptied in place, or killed and started again without persistence. */
const LOSSES: Record<string, (t: import('node:test').TestContext, redis: Broker, servers: ServerProcess[]) => Promise<void>> = {
  async 'FLUSHALL' (t, redis) {
    const plain = new Redis(redis.url)
    t.after(() => plain.disconnect())
    assert.equal(await plain.flushall(), 'OK')
  },
  async 'restarted empty' (_t, redis, servers) {
    await redis.kill()
    for (const server of servers) await waitForHealth(server.http, 503)
    await redis.restart()
    for (const server of servers) await waitForHealth(server.http, 200)
  }
}

for (const [loss, lose] of Object.entries(LOSSES)) {
  test(`redis ${loss}: the channel starts a new epoch at offset 1, and a position in the old one is not recovered`, { timeout: 30_000 }, async (t) => {
    const redis = await startBroker(t, 'redis')
    if (!redis) return
    const servers = await spawnHistoryCluster(t, redis, 'redis', 2)
    const [a, b] = servers
    try {
      const stayer = await follow(t, a!.url)
      const publisher = await follow(t, b!.url)
      const first = (await stayer.call('subscribe', { channel: CHANNEL })).result
      const old = first.epoch
      assert.match(old, EPOCH)
      for (let i = 0; i < BEFORE; i++) {
        const answer = await publisher.call('publish', { channel: CHANNEL, data: `old-${i}` })
        assert.deepEqual(answer.result, { channel: CHANNEL, published: true, offset: i + 1, epoch: old })
      }
      await stayer.until(() => stayer.messages.length === BEFORE, `${BEFORE} live messages in the old epoch`)
      assert.deepEqual(offsetsOf(stayer.messages, old), range(1, BEFORE))
      const from = stayer.messages[0]!.from

      await lose(t, redis, servers)

      // a client coming back with its old position: the answer says so, and where the channel stands now
      const returning = await follow(t, b!.url)
      const back = (await returning.call('subscribe', { channel: CHANNEL, recover: { offset: BEFORE, epoch: old } })).result
      const epoch = back.epoch
      assert.match(epoch, EPOCH)
      assert.notEqual(epoch, old)
      assert.deepEqual(back, { channel: CHANNEL, subscribed: true, epoch, offset: 0, recovered: false, publications: [] })
      const unrecoverable = await returning.call('history', { channel: CHANNEL, since: { offset: BEFORE, epoch: old } })
      assert.deepEqual(unrecoverable.error, { code: -32012, message: 'Unrecoverable position', data: { epoch, offset: 0 } })

      // the new epoch counts from 1, on both instances, for both subscribers
      for (let i = 0; i < AFTER; i++) {
        const answer = await publisher.call('publish', { channel: CHANNEL, data: `new-${i}` })
        assert.deepEqual(answer.result, { channel: CHANNEL, published: true, offset: i + 1, epoch })
      }
      const fresh = range(1, AFTER).map((offset) => ({ channel: CHANNEL, data: `new-${offset - 1}`, from, offset, epoch }))
      await returning.until(() => returning.messages.length === AFTER, `${AFTER} live messages in the new epoch (returning)`)
      await stayer.until(() => stayer.messages.length === BEFORE + AFTER, `${AFTER} live messages in the new epoch (stayer)`)
      assert.deepEqual(returning.messages, fresh)
      assert.deepEqual(stayer.messages.slice(BEFORE), fresh)

      // the stayer, asked to recover from its old position, is told to resync, with the newest kept messages
      const again = (await stayer.call('subscribe', { channel: CHANNEL, recover: { offset: BEFORE, epoch: old } })).result
      assert.deepEqual(again, { channel: CHANNEL, subscribed: true, epoch, offset: AFTER, recovered: false, publications: fresh })
      // a position in the new epoch recovers as usual
      const newer = (await returning.call('subscribe', { channel: CHANNEL, recover: { offset: 2, epoch } })).result
      assert.deepEqual(newer, { channel: CHANNEL, subscribed: true, epoch, offset: AFTER, recovered: true, publications: fresh.slice(2) })

      // a round trip each: no message came twice or late
      for (const client of [stayer, returning]) assert.deepEqual((await client.call('self.reply', { text: 'end' })).result, { text: 'end' })
      assert.equal(stayer.messages.length, BEFORE + AFTER)
      assert.equal(returning.messages.length, AFTER)
      // only a restart drops the connections, and with them the instance's subscription: the stayer is told to resync
      assert.deepEqual(stayer.resyncs.map((r) => r.channels), loss === 'FLUSHALL' ? [] : [[CHANNEL]])
      t.diagnostic(`${loss}: epoch ${old} (offsets 1..${BEFORE}) became ${epoch} (offsets 1..${AFTER})`)
    } catch (err) {
      tailLogs(t, servers)
      throw err
    }
  })
}

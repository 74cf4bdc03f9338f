import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect, type NatsConnection } from 'nats'
import { NatsHistory } from '../../src/pubsub/nats-history.js'
import type { Logger } from '../../src/logger.js'
import type { Envelope } from '../../src/pubsub/envelope.js'
import { range } from '../helpers/follower.js'

const STORES = 4
const EACH = 200
const silent: Logger = { error () {}, warn () {}, info () {}, debug () {} }

// Four stores, each on its own connection, are four instances appending to one channel without pause: each try
// that another store wins is a compare-and-set lost. A fixed count of 25 tries ran out here on an idle machine (10 to
// 12 of 800 appends refused); tries now go on until the publish timeout.
test('four instances appending to one nats channel without pause: every append is acknowledged, offsets 1..800 once', { timeout: 60_000 }, async (t) => {
  const subject = `contend${process.pid}${Date.now()}`
  const connections: NatsConnection[] = []
  const stores = await Promise.all(Array.from({ length: STORES }, async () => {
    const connection = await connect({ servers: '127.0.0.1:4222' })
    connections.push(connection)
    const store = new NatsHistory({
      subject,
      size: STORES * EACH,
      ttlMs: 600_000,
      timeoutMs: 5_000,
      log: silent,
      url: 'nats://127.0.0.1:4222',
      isUp: () => true,
      encode: (envelope) => Buffer.from(JSON.stringify(envelope)),
      decode: (data) => data,
      receive: () => {}
    })
    await store.attach(connection)
    return store
  }))
  t.after(async () => {
    for (const store of stores) await store.close()
    await (await connections[0]!.jetstreamManager()).streams.delete(stores[0]!.stream).catch(() => {})
    for (const connection of connections) await connection.close()
  })

  const policy = { size: STORES * EACH, ttlMs: 600_000 }
  const refused: string[] = []
  const offsets = await Promise.all(stores.map(async (store, n) => {
    const mine: number[] = []
    for (let i = 0; i < EACH; i++) {
      const envelope = { kind: 'channel', channel: 'room', data: `${n}:${i}` } as unknown as Envelope
      await store.append('room', policy, envelope).then((position) => mine.push(position.offset), (err: Error) => refused.push(err.message))
    }
    return mine
  }))
  assert.deepEqual(refused.slice(0, 3), [], `${refused.length} appends refused`)
  for (const mine of offsets) assert.deepEqual(mine, [...mine].sort((a, b) => a - b), 'one instance\'s appends keep their order')
  const all = offsets.flat().sort((a, b) => a - b)
  assert.deepEqual(all, range(1, STORES * EACH))
})

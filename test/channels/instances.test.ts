import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import wsServer, { type Envelope, type PubSubAdapter } from '../../src/index.js'
import { LocalPresence } from '../../src/pubsub/local-presence.js'
import { connect, type TestClient } from '../helpers/client.js'

/**
 * Two apps in one process on an in-process bus: every envelope reaches both (like an adapter without per-channel
 * subscriptions), presence is one store they share, and the first subscribe of a channel can be held back.
 */
class BusAdapter implements PubSubAdapter {
  readonly name = 'bus'
  isConnected = false
  readonly presence: LocalPresence
  readonly subscribed: string[] = []
  /** While set, adapter.subscribe waits for it. */
  gate: Promise<void> | undefined
  readonly #bus: EventEmitter
  #handler: (envelope: Envelope) => void = () => {}
  constructor (bus: EventEmitter, presence: LocalPresence) {
    this.#bus = bus
    this.presence = presence
  }

  onEnvelope (handler: (envelope: Envelope) => void) { this.#handler = handler }
  async connect () {
    this.#bus.on('envelope', this.#handler)
    this.isConnected = true
  }

  async publish (envelope: Envelope) {
    if (!this.isConnected) throw new Error('bus closed')
    this.#bus.emit('envelope', envelope)
  }

  async subscribe (channel: string) {
    this.subscribed.push(`+${channel}`)
    await this.gate
  }

  async unsubscribe (channel: string) {
    this.subscribed.push(`-${channel}`)
  }

  async close () {
    this.#bus.off('envelope', this.#handler)
    this.isConnected = false
  }
}

interface Instance { app: FastifyInstance, url: string, adapter: BusAdapter }

async function startPair (t: TestContext): Promise<[Instance, Instance]> {
  const bus = new EventEmitter()
  const presence = new LocalPresence()
  const started: Instance[] = []
  for (const id of ['left', 'right']) {
    const adapter = new BusAdapter(bus, presence)
    const app = Fastify({ logger: false })
    await app.register(wsServer, { instanceId: id, pubsubAdapter: adapter })
    t.after(() => app.close())
    await app.listen({ host: '127.0.0.1', port: 0 })
    started.push({ app, adapter, url: `ws://127.0.0.1:${(app.server.address() as { port: number }).port}/ws` })
  }
  return started as [Instance, Instance]
}

const message = (channel: string, data: unknown, from: string) => ({ jsonrpc: '2.0', method: 'message', params: { channel, data, from } })

async function assertNothingElse (client: TestClient) {
  assert.deepEqual(await client.call('self.reply', { text: 'ping' }, 'probe'), { jsonrpc: '2.0', id: 'probe', result: { text: 'ping' } })
}

test('a channel message reaches its subscribers on both instances once, and no one else', async (t) => {
  const [left, right] = await startPair(t)
  const l1 = await connect(t, left.url)
  const r1 = await connect(t, right.url)
  const r2 = await connect(t, right.url)
  await l1.call('subscribe', { channel: 'room' })
  await r1.call('subscribe', { channel: 'room' })
  await r2.call('subscribe', { channel: 'elsewhere' })
  assert.deepEqual(await r2.call('publish', { channel: 'room', data: { n: 1 } }, 7), { jsonrpc: '2.0', id: 7, result: { channel: 'room', published: true, offset: 0, epoch: '' } })
  assert.deepEqual(await l1.next(), message('room', { n: 1 }, 'right.1'))
  assert.deepEqual(await r1.next(), message('room', { n: 1 }, 'right.1'))
  await Promise.all([l1, r1, r2].map(assertNothingElse))
})

test('the subscribe answer waits for the broker; later subscribers share the wait; the last leave unsubscribes', async (t) => {
  const [left] = await startPair(t)
  let open = () => {}
  left.adapter.gate = new Promise((resolve) => { open = resolve })
  const a = await connect(t, left.url)
  const b = await connect(t, left.url)
  a.send({ jsonrpc: '2.0', id: 1, method: 'subscribe', params: { channel: 'slow' } })
  b.send({ jsonrpc: '2.0', id: 2, method: 'subscribe', params: { channel: 'slow' } })
  // both are pending behind one adapter.subscribe: a round trip each proves neither answer went out
  await Promise.all([a, b].map(assertNothingElse))
  assert.deepEqual(left.adapter.subscribed, ['+slow'])
  open()
  assert.deepEqual(await a.next(), { jsonrpc: '2.0', id: 1, result: { channel: 'slow', subscribed: true, epoch: '', offset: 0, recovered: false, publications: [] } })
  assert.deepEqual(await b.next(), { jsonrpc: '2.0', id: 2, result: { channel: 'slow', subscribed: true, epoch: '', offset: 0, recovered: false, publications: [] } })
  left.adapter.gate = undefined
  await a.call('unsubscribe', { channel: 'slow' })
  assert.deepEqual(left.adapter.subscribed, ['+slow'])
  await b.call('unsubscribe', { channel: 'slow' })
  assert.deepEqual(left.adapter.subscribed, ['+slow', '-slow'])
  // and a new first subscriber subscribes again
  await a.call('subscribe', { channel: 'slow' })
  assert.deepEqual(left.adapter.subscribed, ['+slow', '-slow', '+slow'])
})

test('presence, presence.count and join/leave span both instances through the adapter\'s store', async (t) => {
  const [left, right] = await startPair(t)
  const watcher = await connect(t, left.url)
  await watcher.call('subscribe', { channel: 'room', presence: true })
  assert.deepEqual(await watcher.next(), { jsonrpc: '2.0', method: 'join', params: { channel: 'room', client: { id: 'left.0' } } })
  const remote = await connect(t, right.url)
  await remote.call('subscribe', { channel: 'room' })
  assert.deepEqual(await watcher.next(), { jsonrpc: '2.0', method: 'join', params: { channel: 'room', client: { id: 'right.0' } } })
  assert.deepEqual(await watcher.call('presence', { channel: 'room' }, 3),
    { jsonrpc: '2.0', id: 3, result: { channel: 'room', count: 2, clients: [{ id: 'left.0' }, { id: 'right.0' }] } })
  assert.deepEqual(await remote.call('presence.count', { channel: 'room' }, 4), { jsonrpc: '2.0', id: 4, result: { channel: 'room', count: 2 } })
  remote.ws.close()
  assert.deepEqual(await watcher.next(), { jsonrpc: '2.0', method: 'leave', params: { channel: 'room', client: { id: 'right.0' } } })
  assert.deepEqual(await right.app.wsHub.presence('room'), { channel: 'room', count: 1, clients: [{ id: 'left.0' }] })
})

test('the host handle publishes, reads presence and subscribes, unsubscribes and disconnects clients of either instance', async (t) => {
  const [left, right] = await startPair(t)
  const watcher = await connect(t, left.url)
  const local = await connect(t, left.url)
  const remote = await connect(t, right.url)
  const hub = left.app.wsHub
  const join = (id: string) => ({ jsonrpc: '2.0', method: 'join', params: { channel: 'orders', client: { id } } })
  const leave = (id: string) => ({ jsonrpc: '2.0', method: 'leave', params: { channel: 'orders', client: { id } } })

  assert.equal(await hub.subscribe('left.0', 'orders', { presence: true }), true)
  assert.deepEqual(await watcher.next(), join('left.0'))
  assert.equal(await hub.subscribe('left.1', 'orders'), true)
  assert.deepEqual(await watcher.next(), join('left.1'))
  // the remote subscribe is carried out by its instance: the join is the sign it is live
  assert.equal(await hub.subscribe('right.0', 'orders'), true)
  assert.deepEqual(await watcher.next(), join('right.0'))
  assert.deepEqual(await hub.presence('orders'), { channel: 'orders', count: 3, clients: [{ id: 'left.0' }, { id: 'left.1' }, { id: 'right.0' }] })

  await hub.publish('orders', { id: 42, status: 'shipped' })
  for (const client of [watcher, local, remote]) assert.deepEqual(await client.next(), message('orders', { id: 42, status: 'shipped' }, 'server'))

  assert.equal(await hub.unsubscribe('left.1', 'orders'), true)
  assert.deepEqual(await watcher.next(), leave('left.1'))
  assert.equal(await hub.unsubscribe('right.0', 'orders'), true)
  assert.deepEqual(await watcher.next(), leave('right.0'))
  await hub.publish('orders', 'after')
  assert.deepEqual(await watcher.next(), message('orders', 'after', 'server'))
  await Promise.all([local, remote].map(assertNothingElse))

  // unknown clients: false here, forwarded (true) for another instance, false for an id with no instance
  assert.equal(await hub.subscribe('left.99', 'orders'), false)
  assert.equal(await hub.subscribe('nowhere.1', 'orders'), true)
  assert.equal(await hub.subscribe('no-dot', 'orders'), false)
  assert.equal(hub.disconnect('left.99'), false)
  assert.equal(hub.disconnect('no-dot'), false)

  assert.equal(hub.disconnect('right.0', 4001, 'kicked'), true)
  assert.deepEqual(await remote.closed, { code: 4001, reason: 'kicked' })
  assert.equal(hub.disconnect('left.1', 4002, 'bye'), true)
  assert.deepEqual(await local.closed, { code: 4002, reason: 'bye' })
})

test('the handle refuses bad arguments with TypeError and RangeError', async (t) => {
  const [left] = await startPair(t)
  const hub = left.app.wsHub
  await assert.rejects(hub.publish('bad name', 1), { name: 'TypeError', message: 'wsHub.publish(channel, data): channel must be 1-128 of [A-Za-z0-9_.:@-]' })
  await assert.rejects(hub.publish('ok', undefined), { name: 'TypeError', message: 'wsHub.publish(channel, data): data must be a JSON value' })
  await assert.rejects(hub.presence(''), { name: 'TypeError' })
  await assert.rejects(hub.subscribe('left.0', 'a/b'), { name: 'TypeError' })
  assert.throws(() => hub.disconnect('right.0', 1001), { name: 'RangeError', message: 'wsHub.disconnect: close code 1001 is not 1000 or 3000-4999' })
})

test('a malformed command is dropped and the instance keeps serving', async (t) => {
  const [left, right] = await startPair(t)
  const client = await connect(t, right.url)
  for (const payload of ['not json', '{"op":"subscribe","client":"right.0","channel":"a b"}', '{"op":"disconnect","client":"right.0","code":1001,"reason":""}', '{"op":"explode","client":"right.0"}']) {
    await left.adapter.publish({ origin: 'left', target: { kind: 'command', instance: 'right' }, payload: Buffer.from(payload) })
  }
  await assertNothingElse(client)
  assert.deepEqual(await right.app.wsHub.presence('a'), { channel: 'a', count: 0, clients: [] })
})

import assert from 'node:assert/strict'
import { EventEmitter } from 'node:events'
import { test } from 'node:test'
import Fastify from 'fastify'
import wsServer, { type Envelope, type PubSubAdapter } from '../../src/index.js'
import { connect } from '../helpers/client.js'

/** A whole adapter in a few lines: an in-process bus several apps share, as a host would write one. */
class BusAdapter implements PubSubAdapter {
  readonly name = 'bus'
  isConnected = false
  readonly #bus: EventEmitter
  #handler: (envelope: Envelope) => void = () => {}
  constructor (bus: EventEmitter) { this.#bus = bus }
  onEnvelope (handler: (envelope: Envelope) => void) { this.#handler = handler }
  async connect () {
    this.#bus.on('envelope', this.#handler)
    this.isConnected = true
  }

  async publish (envelope: Envelope) {
    if (!this.isConnected) throw new Error('bus closed')
    this.#bus.emit('envelope', envelope)
  }

  async close () {
    this.#bus.off('envelope', this.#handler)
    this.isConnected = false
  }
}

test('a custom adapter passed as pubsubAdapter carries broadcasts between two apps', async (t) => {
  const bus = new EventEmitter()
  const urls: string[] = []
  const apps = []
  for (const id of ['left', 'right']) {
    const app = Fastify({ logger: false })
    await app.register(wsServer, { instanceId: id, pubsubAdapter: new BusAdapter(bus) })
    t.after(() => app.close())
    await app.listen({ host: '127.0.0.1', port: 0 })
    urls.push(`ws://127.0.0.1:${(app.server.address() as { port: number }).port}/ws`)
    apps.push(app)
  }
  const left = await connect(t, urls[0]!)
  const right = await connect(t, urls[1]!)
  left.send({ jsonrpc: '2.0', id: 1, method: 'broadcast', params: { text: 'across' } })
  const notification = { jsonrpc: '2.0', method: 'broadcast', params: { text: 'across', from: (await left.next()).params?.from } }
  assert.match(notification.params.from, /^left\./)
  assert.deepEqual(await right.next(), notification)
  // the sender got its own copy (read above) and then its ack
  assert.deepEqual(await left.next(), { jsonrpc: '2.0', id: 1, result: { published: true } })
  const health = await apps[1]!.inject('/health')
  assert.deepEqual(health.json().pubsub, { adapter: 'bus', channel: 'websocket.broadcast', connected: true })
})

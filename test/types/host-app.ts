/* eslint-disable no-void -- the fixture marks values as used without running them */
// Compiled by `npm run typecheck` (tsc --noEmit): a host app's view of the plugin. Each `@ts-expect-error` line
// fails the build if what it forbids starts to compile; the rest fails it if what it uses stops existing.
import Fastify from 'fastify'
import wsServer, { defineMethod, type ClientInfo, type PubSubAdapter, type WsHub } from '../../src/index.js'
import Type from 'typebox'

const app = Fastify()
await app.register(wsServer, { pubsubAdapter: 'redis', redisUrl: 'redis://127.0.0.1:6379/0', maxPayloadBytes: 1024, methods: [] })

const hub: WsHub = app.wsHub
const count: number = hub.connections
const id: string = hub.instanceId
const sent: Promise<void> = hub.broadcast('text')
const closed: boolean = hub.disconnect('node.1', 4000, 'bye')
hub.on('connect', (client: ClientInfo) => { const who: string | undefined = client.identity; void who })
hub.on('disconnect', (client, code: number, reason: string) => { void client.id; void code; void reason })
void count; void id; void sent; void closed
const published: Promise<{ offset: number, epoch: string }> = hub.publish('orders', { id: 1 })
const kept: Promise<{ publications: Array<{ channel: string, data: unknown, from: string, offset: number, epoch: string }>, epoch: string, offset: number }> =
  hub.history('orders', { since: { offset: 3, epoch: 'e' }, limit: 10, reverse: true })
void kept
const present: Promise<{ channel: string, count: number, clients: Array<{ id: string, user?: string }> }> = hub.presence('orders')
const joined: Promise<boolean> = hub.subscribe('node.1', 'orders', { presence: true })
const left: Promise<boolean> = hub.unsubscribe('node.1', 'orders')
void published; void present; void joined; void left
const draining: Promise<void> = hub.drain()
void draining
await app.register(wsServer, { drainDelayMs: 5_000, drainSpreadMs: 3_000, shutdownTimeoutMs: 12_000 })
await app.register(wsServer, {
  authorize: async ({ action, channel, identity }) => action !== 'publish' || (identity === 'alice' && channel.startsWith('user.')),
  apiEnabled: true,
  apiKeys: 'ops:key',
  channelPublish: 'server',
  maxChannelsPerConnection: 16,
  historySize: 100,
  history: (channel) => channel.startsWith('ticker:') ? { size: 0 } : { size: 100, ttlMs: 60_000 }
})
// @ts-expect-error a history rule answers a policy
await app.register(wsServer, { history: () => 100 })
// @ts-expect-error authorize answers a boolean
await app.register(wsServer, { authorize: () => 'yes' })
// @ts-expect-error channelPublish is any or server
await app.register(wsServer, { channelPublish: 'clients' })

// @ts-expect-error the event set is closed
hub.on('message', () => {})
// @ts-expect-error internals stay in the plugin's scope, undeclared on the host
void app.wsRpc
// @ts-expect-error internals stay in the plugin's scope, undeclared on the host
void app.wsConfig
// @ts-expect-error the old env-named options are gone
await app.register(wsServer, { config: { WS_PORT: 1 } })
// @ts-expect-error a wrong type for a knob
await app.register(wsServer, { maxPayloadBytes: '1kb' })
// @ts-expect-error adapters are named or given as objects
await app.register(wsServer, { pubsubAdapter: 'kafka' })
// @ts-expect-error process-only knobs are not plugin options
await app.register(wsServer, { port: 8080 })

const adapter: PubSubAdapter = {
  name: 'custom',
  isConnected: true,
  async connect () {},
  async publish (envelope) { void envelope.payload.byteLength },
  onEnvelope (handler) { void handler },
  async close () {}
}
await app.register(wsServer, { pubsubAdapter: adapter })

defineMethod({
  name: 'typed',
  params: Type.Object({ n: Type.Number() }),
  handle ({ n }, { client }) {
    // @ts-expect-error params are typed from the schema
    const s: string = n
    return { n, s, by: client.id }
  }
})

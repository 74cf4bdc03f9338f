import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import wsServer, { type Envelope, type PubSubAdapter, type WsServerOptions } from '../../src/index.js'
import { connect, type TestClient } from '../helpers/client.js'
import { startServer, type TestEnv } from '../helpers/server.js'

/** History on each adapter that runs in one process: the in-memory ring, and Redis (shared, under a fresh prefix). */
const ADAPTERS: Array<[string, TestEnv]> = [
  ['local', {}],
  ['redis', { WS_PUBSUB_ENABLED: true, WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: 'redis://127.0.0.1:6379/0' }]
]

async function start (t: TestContext, env: TestEnv) {
  return startServer(t, { WS_PUBSUB_CHANNEL: `hist-${randomBytes(4).toString('hex')}`, WS_HISTORY_SIZE: 10, ...env })
}

let ids = 0
async function rpc (client: TestClient, method: string, params: unknown) {
  const id = `r${ids++}`
  client.send({ jsonrpc: '2.0', id, method, params })
  // a publisher subscribed to its own channel also gets the message, in either order
  for (;;) {
    const frame = await client.next()
    if (frame.id === id) return frame
  }
}

async function publishAll (client: TestClient, channel: string, count: number, tag = 'm') {
  const positions = []
  for (let i = 1; i <= count; i++) positions.push((await rpc(client, 'publish', { channel, data: `${tag}${i}` })).result)
  return positions
}

const texts = (publications: Array<{ data: unknown }>) => publications.map((publication) => publication.data)
const offsets = (publications: Array<{ offset: number }>) => publications.map((publication) => publication.offset)

for (const [name, env] of ADAPTERS) {
  test(`${name}: offsets count up per channel, messages and publish answers carry them with the epoch`, async (t) => {
    const { url } = await start(t, env)
    const reader = await connect(t, url)
    const writer = await connect(t, url)
    const subscribed = (await rpc(reader, 'subscribe', { channel: 'room' })).result
    assert.equal(subscribed.offset, 0)
    assert.match(subscribed.epoch, /^[A-Za-z0-9_-]{8}$/)
    assert.deepEqual([subscribed.recovered, subscribed.publications], [false, []])
    const positions = await publishAll(writer, 'room', 3)
    assert.deepEqual(positions, [1, 2, 3].map((offset) => ({ channel: 'room', published: true, offset, epoch: subscribed.epoch })))
    for (const offset of [1, 2, 3]) {
      const frame = await reader.next()
      assert.deepEqual({ ...frame.params, from: 'x' }, { channel: 'room', data: `m${offset}`, from: 'x', offset, epoch: subscribed.epoch })
    }
    // another channel counts on its own
    assert.equal((await rpc(writer, 'publish', { channel: 'other', data: 1 })).result.offset, 1)
  })

  test(`${name}: a client back with its position gets exactly what it missed, in order, then live messages once`, async (t) => {
    const { url } = await start(t, env)
    const writer = await connect(t, url)
    const first = await connect(t, url)
    const { epoch } = (await rpc(first, 'subscribe', { channel: 'feed' })).result
    await publishAll(writer, 'feed', 2)
    const seen = [await first.next(), await first.next()]
    const last = seen[1].params
    first.ws.terminate()
    await publishAll(writer, 'feed', 5, 'missed')
    const again = await connect(t, url)
    const recovered = (await rpc(again, 'subscribe', { channel: 'feed', recover: { offset: last.offset, epoch } })).result
    assert.deepEqual({ ...recovered, publications: texts(recovered.publications) }, {
      channel: 'feed', subscribed: true, epoch, offset: 7, recovered: true, publications: ['missed1', 'missed2', 'missed3', 'missed4', 'missed5']
    })
    assert.deepEqual(offsets(recovered.publications), [3, 4, 5, 6, 7])
    await rpc(writer, 'publish', { channel: 'feed', data: 'live' })
    const live = await again.next()
    assert.deepEqual([live.params.data, live.params.offset], ['live', 8])
    assert.equal(again.pending, 0)
  })

  test(`${name}: recovery is refused, with the newest kept, for another epoch, a trimmed offset or a gap past the cap`, async (t) => {
    const { url } = await start(t, { ...env, WS_HISTORY_SIZE: 5, WS_HISTORY_RECOVER_MAX: 3 })
    const client = await connect(t, url)
    const { epoch } = (await rpc(client, 'history', { channel: 'c' })).result
    await publishAll(client, 'c', 8)
    const attempts = [
      { offset: 6, epoch: 'another-epoch' },
      { offset: 1, epoch },
      { offset: 4, epoch },
      { offset: 9, epoch }
    ]
    for (const recover of attempts) {
      const answer = (await rpc(client, 'subscribe', { channel: 'c', recover })).result
      assert.deepEqual([answer.recovered, answer.offset, offsets(answer.publications)], [false, 8, [6, 7, 8]], JSON.stringify(recover))
      await rpc(client, 'unsubscribe', { channel: 'c' })
    }
    // within the cap and the kept range, it is recovered
    const answer = (await rpc(client, 'subscribe', { channel: 'c', recover: { offset: 5, epoch } })).result
    assert.deepEqual([answer.recovered, offsets(answer.publications)], [true, [6, 7, 8]])
  })

  test(`${name}: the history method reads forward, backward, after a position, and refuses a lost position with -32012`, async (t) => {
    const { url } = await start(t, env)
    const client = await connect(t, url)
    await publishAll(client, 'h', 12)
    const all = (await rpc(client, 'history', { channel: 'h' })).result
    assert.deepEqual([offsets(all.publications), all.offset], [[3, 4, 5, 6, 7, 8, 9, 10, 11, 12], 12])
    assert.deepEqual(offsets((await rpc(client, 'history', { channel: 'h', limit: 2 })).result.publications), [3, 4])
    assert.deepEqual(offsets((await rpc(client, 'history', { channel: 'h', limit: 2, reverse: true })).result.publications), [12, 11])
    assert.deepEqual(offsets((await rpc(client, 'history', { channel: 'h', since: { offset: 9, epoch: all.epoch } })).result.publications), [10, 11, 12])
    assert.deepEqual((await rpc(client, 'history', { channel: 'h', limit: 0 })).result, { publications: [], epoch: all.epoch, offset: 12 })
    for (const since of [{ offset: 1, epoch: all.epoch }, { offset: 3, epoch: 'gone' }, { offset: 13, epoch: all.epoch }]) {
      const answer = await rpc(client, 'history', { channel: 'h', since })
      assert.deepEqual(answer.error, { code: -32012, message: 'Unrecoverable position', data: { epoch: all.epoch, offset: 12 } }, JSON.stringify(since))
    }
    const bad = await rpc(client, 'history', { channel: 'h', since: { offset: -1, epoch: 'x' } })
    assert.equal(bad.error.code, -32602)
  })

  test(`${name}: subscribing again with a position answers from history again, and no live message comes twice`, async (t) => {
    const { url } = await start(t, env)
    const client = await connect(t, url)
    const writer = await connect(t, url)
    const { epoch } = (await rpc(client, 'subscribe', { channel: 'again' })).result
    await publishAll(writer, 'again', 3)
    for (let i = 0; i < 3; i++) await client.next()
    const answer = (await rpc(client, 'subscribe', { channel: 'again', recover: { offset: 1, epoch } })).result
    assert.deepEqual([answer.recovered, offsets(answer.publications)], [true, [2, 3]])
    await rpc(writer, 'publish', { channel: 'again', data: 'after' })
    assert.deepEqual((await client.next()).params.offset, 4)
    assert.equal(client.pending, 0)
  })
}

test('a channel without history still answers: recovered false, the epoch empty, offset 0', async (t) => {
  const { url } = await startServer(t)
  const client = await connect(t, url)
  const answer = await rpc(client, 'subscribe', { channel: 'plain', recover: { offset: 4, epoch: 'e' } })
  assert.deepEqual(answer.result, { channel: 'plain', subscribed: true, epoch: '', offset: 0, recovered: false, publications: [] })
  assert.deepEqual((await rpc(client, 'history', { channel: 'plain' })).result, { publications: [], epoch: '', offset: 0 })
  const writer = await connect(t, url)
  const published = await rpc(writer, 'publish', { channel: 'plain', data: 1 })
  assert.deepEqual(published.result, { channel: 'plain', published: true, offset: 0, epoch: '' })
  // the notification is as it always was: no position
  assert.deepEqual(Object.keys((await client.next()).params), ['channel', 'data', 'from'])
})

async function host (t: TestContext, options: WsServerOptions): Promise<{ app: FastifyInstance, url: string }> {
  const app = Fastify({ logger: false })
  t.after(() => app.close())
  await app.register(wsServer, options)
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address() as { port: number }
  return { app, url: `ws://127.0.0.1:${address.port}/ws` }
}

test('the host chooses history per channel; authorize is asked for history as for subscribe', async (t) => {
  const { app, url } = await host(t, {
    history: (channel) => channel.startsWith('ticker:') ? { size: 0 } : channel.startsWith('chat:') ? { size: 3 } : undefined,
    historySize: 10,
    authorize: ({ action, channel }) => !(action === 'history' && channel === 'chat:secret')
  })
  const client = await connect(t, url)
  for (let i = 0; i < 5; i++) {
    await app.wsHub.publish('chat:1', i)
    await app.wsHub.publish('ticker:1', i)
    await app.wsHub.publish('room', i)
  }
  assert.deepEqual(offsets((await rpc(client, 'history', { channel: 'chat:1' })).result.publications), [3, 4, 5])
  assert.deepEqual((await rpc(client, 'history', { channel: 'ticker:1' })).result, { publications: [], epoch: '', offset: 0 })
  assert.equal((await rpc(client, 'history', { channel: 'room' })).result.publications.length, 5)
  assert.deepEqual((await rpc(client, 'history', { channel: 'chat:secret' })).error, {
    code: -32010, message: 'Not allowed', data: { action: 'history', channel: 'chat:secret', reason: 'refused by authorize' }
  })
  // the host handle reads the same
  const kept = await app.wsHub.history('chat:1', { reverse: true, limit: 1 })
  assert.deepEqual([kept.offset, kept.publications.map((p) => [p.data, p.from])], [5, [[4, 'server']]])
  await assert.rejects(app.wsHub.history('chat:1', { since: { offset: 0, epoch: 'old' } }), { code: -32012 })
  await assert.rejects(app.wsHub.history('bad channel'), TypeError)
  assert.deepEqual(await app.wsHub.publish('ticker:2', 'x'), { offset: 0, epoch: '' })
})

test('history configured on an adapter that keeps none stops register with a message that says so', async (t) => {
  const adapter: PubSubAdapter = {
    name: 'custom',
    isConnected: true,
    async connect () {},
    async publish (_envelope: Envelope) {},
    onEnvelope () {},
    async close () {}
  }
  const app = Fastify({ logger: false })
  t.after(() => app.close())
  await assert.rejects(async () => { await app.register(wsServer, { pubsubAdapter: adapter, historySize: 5 }) },
    { message: 'channel history is configured (historySize 5) but the custom adapter keeps no history' })
  const other = Fastify({ logger: false })
  t.after(() => other.close())
  await assert.rejects(async () => { await other.register(wsServer, { history: 'yes' as never }) }, { message: 'ws-server option history must be a function' })
})

test('GET /api/channels/:channel/history answers like the method: 200, 409 for a lost position, 400 for half a position', async (t) => {
  const { app } = await startServer(t, { WS_API_ENABLED: true, WS_API_KEYS: 'ops:key', WS_HISTORY_SIZE: 5 })
  const headers = { authorization: 'Bearer key' }
  for (let i = 0; i < 7; i++) {
    const response = await app.inject({ method: 'POST', url: '/api/publish', headers, payload: { channel: 'api', data: i } })
    assert.deepEqual([response.statusCode, response.json().offset], [200, i + 1])
  }
  const all = (await app.inject({ method: 'GET', url: '/api/channels/api/history', headers })).json()
  assert.deepEqual([all.offset, offsets(all.publications), all.publications[0].data], [7, [3, 4, 5, 6, 7], 2])
  const after = await app.inject({ method: 'GET', url: `/api/channels/api/history?since_offset=5&since_epoch=${all.epoch}&reverse=true&limit=1`, headers })
  assert.deepEqual(offsets(after.json().publications), [7])
  const lost = await app.inject({ method: 'GET', url: `/api/channels/api/history?since_offset=1&since_epoch=${all.epoch}`, headers })
  assert.deepEqual([lost.statusCode, lost.json().code, lost.json().rpcCode], [409, 'WS_ERR_UNRECOVERABLE_POSITION', -32012])
  const half = await app.inject({ method: 'GET', url: '/api/channels/api/history?since_offset=1', headers })
  assert.equal(half.statusCode, 400)
})

test('a history outlives its TTL by nothing: after it, the epoch is new and an old position is not recovered', async (t) => {
  const { url } = await start(t, { WS_HISTORY_TTL_MS: 1_000 })
  const client = await connect(t, url)
  const [published] = await publishAll(client, 'brief', 1)
  const deadline = Date.now() + 5_000
  let epoch = published.epoch
  while (epoch === published.epoch && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    epoch = (await rpc(client, 'history', { channel: 'brief', limit: 0 })).result.epoch
  }
  assert.notEqual(epoch, published.epoch)
  const answer = (await rpc(client, 'subscribe', { channel: 'brief', recover: { offset: 1, epoch: published.epoch } })).result
  assert.deepEqual([answer.recovered, answer.epoch, answer.offset, answer.publications], [false, epoch, 0, []])
})

test('in a batch, a recovering subscribe, a publish and an unsubscribe of one channel are all answered, in order', async (t) => {
  const { url } = await start(t, {})
  const client = await connect(t, url)
  const { epoch } = (await rpc(client, 'history', { channel: 'b', limit: 0 })).result
  client.send([
    { jsonrpc: '2.0', id: 1, method: 'subscribe', params: { channel: 'b', recover: { offset: 0, epoch } } },
    { jsonrpc: '2.0', id: 2, method: 'publish', params: { channel: 'b', data: 'x' } },
    { jsonrpc: '2.0', id: 3, method: 'unsubscribe', params: { channel: 'b' } }
  ])
  const frames = [await client.next()]
  while (!Array.isArray(frames.at(-1))) frames.push(await client.next())
  const batch = frames.at(-1) as Array<{ id: number, result: Record<string, unknown> }>
  assert.deepEqual(batch.map((answer) => [answer.id, answer.result.subscribed ?? answer.result.published]), [[1, true], [2, true], [3, false]])
  assert.equal(batch[0]!.result.recovered, true)
})

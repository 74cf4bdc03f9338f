import assert from 'node:assert/strict'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import Fastify from 'fastify'
import wsServer from '../../src/index.js'
import { startBroker, type Broker } from '../helpers/brokers.js'
import { runServer, spawnServer } from '../helpers/child.js'
import { connect, type TestClient } from '../helpers/client.js'
import { FAST_RECOVERY_ENV, spawnCluster, waitForHealth } from '../helpers/cluster.js'
import { startServer } from '../helpers/server.js'

/** A private nats-server with JetStream and a file store that outlives a kill, so a restart finds the stream again. */
async function startJetStream (t: TestContext): Promise<Broker | undefined> {
  const store = await mkdtemp(join(tmpdir(), 'ws-jetstream-'))
  t.after(() => rm(store, { recursive: true, force: true }))
  return startBroker(t, 'nats', ['-js', '-sd', store])
}

function historyEnv (nats: Broker, size: number): Record<string, string> {
  return { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'nats', WS_NATS_URL: nats.url, WS_PUBSUB_CHANNEL: `hist${Math.random().toString(36).slice(2, 8)}`, WS_HISTORY_SIZE: String(size) }
}

interface Publication { channel: string, data: unknown, from: string, offset: number, epoch: string }

let ids = 0

/** A call whose answer is the client's next frame (nothing else is due to it meanwhile). */
async function call (client: TestClient, method: string, params: unknown): Promise<any> {
  const id = `h${ids++}`
  const answer = await client.call(method, params, id)
  assert.equal(answer.id, id, JSON.stringify(answer))
  return answer
}

/** Sends `count` publishes at once and returns their results by send order; the client is subscribed to nothing. */
async function publishMany (client: TestClient, channel: string, count: number, tag: string): Promise<Array<{ offset: number, epoch: string, data: string }>> {
  const first = ids
  ids += count
  for (let i = 0; i < count; i++) client.send({ jsonrpc: '2.0', id: `h${first + i}`, method: 'publish', params: { channel, data: `${tag}-${i}` } })
  const results = new Array<{ offset: number, epoch: string, data: string }>(count)
  for (let n = 0; n < count; n++) {
    const answer = await client.next()
    const i = Number(String(answer.id).slice(1)) - first
    assert.deepEqual(answer, { jsonrpc: '2.0', id: `h${first + i}`, result: { channel, published: true, offset: answer.result?.offset, epoch: answer.result?.epoch } })
    results[i] = { offset: answer.result.offset, epoch: answer.result.epoch, data: `${tag}-${i}` }
  }
  return results
}

/** The next `count` frames, each a `message` notification of `channel`; their params. */
async function messages (client: TestClient, channel: string, count: number): Promise<Publication[]> {
  const received: Publication[] = []
  while (received.length < count) {
    const frame = await client.next()
    assert.equal(frame.method, 'message', JSON.stringify(frame))
    assert.equal(frame.params.channel, channel)
    received.push(frame.params)
  }
  return received
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i)

test('two instances publishing 2×200 to one channel: offsets 1..400 without holes, every subscriber gets each once, in order', { timeout: 60_000 }, async (t) => {
  const nats = await startJetStream(t)
  if (!nats) return
  const servers = await spawnCluster(t, 2, historyEnv(nats, 1000))
  const subscribers = [await connect(t, servers[0]!.url), await connect(t, servers[0]!.url), await connect(t, servers[1]!.url), await connect(t, servers[1]!.url)]
  const answers = await Promise.all(subscribers.map((client) => call(client, 'subscribe', { channel: 'race' })))
  const epoch = answers[0].result.epoch
  for (const answer of answers) assert.deepEqual(answer.result, { channel: 'race', subscribed: true, epoch, offset: 0, recovered: false, publications: [] })

  const publishers = [await connect(t, servers[0]!.url), await connect(t, servers[1]!.url)]
  const arriving = subscribers.map((client) => messages(client, 'race', 400))
  const results = (await Promise.all(publishers.map((client, i) => publishMany(client, 'race', 200, `p${i}`)))).flat()
  assert.deepEqual(results.map((result) => result.offset).sort((a, b) => a - b), range(1, 400))
  assert.deepEqual(new Set(results.map((result) => result.epoch)), new Set([epoch]))
  // each publisher's messages took offsets in the order it sent them
  for (const i of [0, 1]) {
    const own = results.filter((result) => result.data.startsWith(`p${i}-`)).map((result) => result.offset)
    assert.deepEqual(own, own.slice().sort((a, b) => a - b))
  }

  const dataAt = new Map(results.map((result) => [result.offset, result.data]))
  for (const received of await Promise.all(arriving)) {
    assert.deepEqual(received.map((publication) => publication.offset), range(1, 400))
    assert.deepEqual(received.map((publication) => publication.data), range(1, 400).map((offset) => dataAt.get(offset)))
    assert.deepEqual(new Set(received.map((publication) => publication.epoch)), new Set([epoch]))
  }
})

test('subscribe with recover on another instance returns exactly the 200 it missed, in order; a stale epoch does not recover', { timeout: 60_000 }, async (t) => {
  const nats = await startJetStream(t)
  if (!nats) return
  const [a, b] = await spawnCluster(t, 2, historyEnv(nats, 1000))
  const publisher = await connect(t, a!.url)
  const early = await connect(t, b!.url)
  const { result: joined } = await call(early, 'subscribe', { channel: 'feed' })
  const epoch = joined.epoch
  assert.deepEqual(joined, { channel: 'feed', subscribed: true, epoch, offset: 0, recovered: false, publications: [] })
  const arriving = messages(early, 'feed', 10)
  await publishMany(publisher, 'feed', 10, 'early')
  const seen = await arriving
  assert.deepEqual(seen.map((publication) => publication.offset), range(1, 10))
  early.ws.close()

  const missed = await publishMany(publisher, 'feed', 200, 'missed')
  assert.deepEqual(missed.map((result) => result.offset), range(11, 210))

  const back = await connect(t, b!.url)
  const { result: recovered } = await call(back, 'subscribe', { channel: 'feed', recover: { offset: 10, epoch } })
  const publisherId = seen[0]!.from
  assert.deepEqual(recovered, {
    channel: 'feed',
    subscribed: true,
    epoch,
    offset: 210,
    recovered: true,
    publications: missed.map((result) => ({ channel: 'feed', data: result.data, from: publisherId, offset: result.offset, epoch }))
  })
  // and live from there: the next message is the next offset, nothing repeated before it
  await publishMany(publisher, 'feed', 1, 'after')
  assert.deepEqual(await back.next(), { jsonrpc: '2.0', method: 'message', params: { channel: 'feed', data: 'after-0', from: publisherId, offset: 211, epoch } })

  const stale = await connect(t, a!.url)
  const { result: notRecovered } = await call(stale, 'subscribe', { channel: 'feed', recover: { offset: 10, epoch: 'stale-epoch' } })
  assert.equal(notRecovered.recovered, false)
  assert.equal(notRecovered.epoch, epoch)
  assert.equal(notRecovered.offset, 211)
  // what is kept, newest last: the whole channel, as it is under the size
  assert.deepEqual(notRecovered.publications.map((publication: Publication) => publication.offset), range(1, 211))
})

test('the history method on nats: limit, reverse and since over a trimmed channel interleaved with another', { timeout: 60_000 }, async (t) => {
  const nats = await startJetStream(t)
  if (!nats) return
  const { url } = await startServer(t, historyEnv(nats, 300))
  const publisher = await connect(t, url)
  const other = await connect(t, url)
  // a second channel in between spreads `a`'s stream sequences apart from its offsets
  const [published] = await Promise.all([publishMany(publisher, 'a', 350, 'a'), publishMany(other, 'b', 100, 'b')])
  const epoch = published[0]!.epoch
  const from = (await call(publisher, 'history', { channel: 'a', limit: 1, reverse: true })).result.publications[0].from
  const expect = (offsets: number[]) => offsets.map((offset) => ({ channel: 'a', data: `a-${offset - 1}`, from, offset, epoch }))

  // the oldest 50 were trimmed by the stream's per-subject limit
  assert.deepEqual((await call(publisher, 'history', { channel: 'a', limit: 10 })).result, { publications: expect(range(51, 60)), epoch, offset: 350 })
  assert.deepEqual((await call(publisher, 'history', { channel: 'a', limit: 10, reverse: true })).result, { publications: expect(range(341, 350).reverse()), epoch, offset: 350 })
  assert.deepEqual((await call(publisher, 'history', { channel: 'a', limit: 5, since: { offset: 300, epoch } })).result, { publications: expect(range(301, 305)), epoch, offset: 350 })
  assert.deepEqual((await call(publisher, 'history', { channel: 'a', limit: 3, since: { offset: 60, epoch } })).result, { publications: expect(range(61, 63)), epoch, offset: 350 })
  assert.deepEqual((await call(publisher, 'history', { channel: 'a', since: { offset: 340, epoch }, reverse: true })).result, { publications: expect(range(341, 350).reverse()), epoch, offset: 350 })
  assert.deepEqual((await call(publisher, 'history', { channel: 'a' })).result, { publications: expect(range(51, 350)), epoch, offset: 350 })
  // a position whose successor was trimmed, and one of another epoch, cannot be continued from
  for (const since of [{ offset: 20, epoch }, { offset: 100, epoch: 'other' }]) {
    const answer = await call(publisher, 'history', { channel: 'a', since })
    assert.deepEqual(answer.error, { code: -32012, message: 'Unrecoverable position', data: { epoch, offset: 350 } })
  }
  // a channel never published to gets an epoch, which its first publish continues
  const empty = (await call(publisher, 'history', { channel: 'fresh' })).result
  assert.deepEqual(empty, { publications: [], epoch: empty.epoch, offset: 0 })
  assert.match(empty.epoch, /^[A-Za-z0-9_-]+$/)
  assert.deepEqual((await call(publisher, 'publish', { channel: 'fresh', data: 1 })).result, { channel: 'fresh', published: true, offset: 1, epoch: empty.epoch })
})

test('a host rule keeps fewer than the stream for its channels: reads and recovery see only its newest', { timeout: 60_000 }, async (t) => {
  const nats = await startJetStream(t)
  if (!nats) return
  const app = Fastify({ logger: false })
  t.after(() => app.close())
  const env = historyEnv(nats, 100)
  await app.register(wsServer, {
    pubsubAdapter: 'nats',
    natsUrl: nats.url,
    pubsubChannel: env.WS_PUBSUB_CHANNEL!,
    historySize: 100,
    history: (channel) => channel === 'small' ? { size: 3 } : undefined
  })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `ws://127.0.0.1:${(app.server.address() as { port: number }).port}/ws`
  const publisher = await connect(t, url)
  await publishMany(publisher, 'small', 10, 'small')
  await publishMany(publisher, 'large', 10, 'large')
  const small = (await call(publisher, 'history', { channel: 'small' })).result
  const large = (await call(publisher, 'history', { channel: 'large' })).result
  assert.deepEqual(small.publications.map((p: Publication) => p.offset), [8, 9, 10])
  assert.deepEqual(large.publications.map((p: Publication) => p.offset), range(1, 10))
  const answer = await call(publisher, 'history', { channel: 'small', since: { offset: 5, epoch: small.epoch } })
  assert.deepEqual(answer.error, { code: -32012, message: 'Unrecoverable position', data: { epoch: small.epoch, offset: 10 } })
  const { result: recovered } = await call(publisher, 'subscribe', { channel: 'small', recover: { offset: 5, epoch: small.epoch } })
  assert.deepEqual({ recovered: recovered.recovered, offsets: recovered.publications.map((p: Publication) => p.offset) }, { recovered: false, offsets: [8, 9, 10] })
  // gone before the app closes, which would otherwise wait out its shutdown timeout for this client
  publisher.ws.terminate()
  await publisher.closed
})

test('with history configured, start-up is refused when the NATS server has no JetStream, and says so', { timeout: 30_000 }, async (t) => {
  const nats = await startBroker(t, 'nats')
  if (!nats) return
  const env = { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'nats', WS_NATS_URL: nats.url }
  const refused = runServer(t, { ...env, WS_HOST: '127.0.0.1', WS_PORT: '0', WS_HISTORY_SIZE: '100' })
  assert.equal(await refused.exited, 1)
  assert.equal(refused.stderr().trim(), `channel history on nats needs JetStream, and the NATS server at ${nats.url} does not have it enabled: start nats-server with -js (and a store dir, -sd), or set WS_HISTORY_SIZE=0`)
  // the same server serves a deployment without history
  const server = await spawnServer(t, env)
  const configured = await server.waitForLog((line) => line.msg === 'PubSub adapter configured')
  assert.equal(configured.connected, true)
})

test('a history rule on nats without historySize is refused at start-up, naming WS_HISTORY_SIZE', async (t) => {
  const app = Fastify({ logger: false })
  t.after(() => app.close())
  // refused before any connection is tried: the port is never dialled
  await assert.rejects(async () => { await app.register(wsServer, { pubsubAdapter: 'nats', natsUrl: 'nats://127.0.0.1:1', history: () => ({ size: 10 }) }).ready() }, {
    message: 'channel history is configured (historySize 0, a history rule) but the nats adapter keeps no history; on nats a history rule needs WS_HISTORY_SIZE (historySize) > 0, the most any channel keeps'
  })
})

test('history survives nats-server killed with kill -9 for 5 s and restarted on its store; publishes during the outage answer -32001', { timeout: 60_000 }, async (t) => {
  const nats = await startJetStream(t)
  if (!nats) return
  const [a, b] = await spawnCluster(t, 2, { ...historyEnv(nats, 100), ...FAST_RECOVERY_ENV })
  const publisher = await connect(t, a!.url)
  const listener = await connect(t, b!.url)
  const epoch = (await call(listener, 'subscribe', { channel: 'log' })).result.epoch
  const arriving = messages(listener, 'log', 20)
  const before = await publishMany(publisher, 'log', 20, 'before')
  assert.deepEqual(before.map((result) => result.offset), range(1, 20))
  await arriving

  await nats.kill()
  await Promise.all([waitForHealth(a!.http, 503), waitForHealth(b!.http, 503)])
  // the broker stays away for 5 s; every publish meanwhile is refused, none acknowledged and lost
  const downUntil = Date.now() + 5_000
  let attempts = 0
  while (Date.now() < downUntil) {
    const refused = await call(publisher, 'publish', { channel: 'log', data: `lost-${attempts++}` })
    assert.deepEqual(refused.error, { code: -32001, message: 'Broadcast not confirmed: pub/sub unavailable' })
    await new Promise((resolve) => setTimeout(resolve, 250))
  }
  t.diagnostic(`${attempts} publishes during the 5 s outage, all answered -32001`)
  const unread = await call(publisher, 'history', { channel: 'log' })
  assert.deepEqual(unread.error, { code: -32001, message: 'History not available: pub/sub unavailable' })

  await nats.restart()
  await Promise.all([waitForHealth(a!.http, 200), waitForHealth(b!.http, 200)])
  // the instances tell their clients they may have missed messages (the core subjects had no such guarantee)
  for (const [client, channels] of [[publisher, []], [listener, ['log']]] as const) {
    const resync = await client.next()
    assert.deepEqual(resync, { jsonrpc: '2.0', method: 'resync', params: { reason: 'pubsub_reconnected', since: resync.params.since, scope: 'all', channels } })
  }
  const from = (await call(publisher, 'history', { channel: 'log', limit: 1 })).result.publications[0].from
  const kept = (await call(publisher, 'history', { channel: 'log' })).result
  assert.deepEqual(kept, { publications: before.map((result) => ({ channel: 'log', data: result.data, from, offset: result.offset, epoch })), epoch, offset: 20 })
  const back = await connect(t, b!.url)
  const { result: recovered } = await call(back, 'subscribe', { channel: 'log', recover: { offset: 15, epoch } })
  assert.deepEqual({ recovered: recovered.recovered, offsets: recovered.publications.map((p: Publication) => p.offset) }, { recovered: true, offsets: range(16, 20) })

  // the live path is back too: the subscriber from before the outage and the new one both get the next offset
  const next = { jsonrpc: '2.0', method: 'message', params: { channel: 'log', data: 'after-0', from, offset: 21, epoch } }
  await publishMany(publisher, 'log', 1, 'after')
  assert.deepEqual(await listener.next(), next)
  assert.deepEqual(await back.next(), next)
})

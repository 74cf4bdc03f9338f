import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HubError, type MessageParams, type SubscribeResult } from '../../client/index.js'
import type { AuthorizeRequest } from '../../src/channels/authorize.js'
import { RpcError } from '../../src/rpc/rpc-error.js'
import { collect, nextEvent, openClient, recordingWebSocket } from '../helpers/hub-client.js'
import { startServer } from '../helpers/server.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'

const FAST = { minDelayMs: 20, maxDelayMs: 200 }

/** What a subscription saw: its messages' data and positions, and each (re)subscription's result. */
function watch () {
  const messages: MessageParams[] = []
  const results: SubscribeResult[] = []
  const waiters: Array<{ done: () => boolean, resolve: () => void }> = []
  const check = () => {
    for (const waiter of [...waiters]) {
      if (waiter.done()) { waiters.splice(waiters.indexOf(waiter), 1); waiter.resolve() }
    }
  }
  return {
    messages,
    results,
    options: {
      onMessage: (message: MessageParams) => { messages.push(message); check() },
      onSubscribed: (result: SubscribeResult) => { results.push(result); check() }
    },
    /** Resolves once `done()` holds, checked after each callback. */
    until: (done: () => boolean) => new Promise<void>((resolve) => { waiters.push({ done, resolve }); check() })
  }
}

/** Resolves with the id of the next client the server admits. */
function nextClientId (app: Awaited<ReturnType<typeof startServer>>['app']): Promise<string> {
  return new Promise((resolve) => {
    const listener = (info: { id: string }) => { app.wsHub.off('connect', listener); resolve(info.id) }
    app.wsHub.on('connect', listener)
  })
}

test('after a reconnect the subscription recovers what was published meanwhile: in order, once, before live messages', { timeout: 30_000 }, async (t) => {
  const { app, url } = await startServer(t, { WS_HISTORY_SIZE: 100 })
  const proxy = await startTcpProxy(t, Number(new URL(url).port))
  const recorder = recordingWebSocket()
  const client = await openClient(t, `ws://127.0.0.1:${proxy.port}/ws`, { WebSocket: recorder.WebSocket, reconnect: FAST })
  const seen = watch()
  const sub = client.subscribe('room', seen.options)
  const first = await sub.ready
  assert.equal(first.recovered, false)
  const { epoch } = first
  assert.notEqual(epoch, '')
  assert.deepEqual(sub.position, { offset: 0, epoch })

  for (const n of [1, 2]) await app.wsHub.publish('room', n)
  await seen.until(() => seen.messages.length === 2)
  const dropped = nextEvent(client, 'disconnected')
  proxy.cut()
  await dropped
  for (const n of [3, 4, 5]) await app.wsHub.publish('room', n)
  proxy.restore()
  await seen.until(() => seen.results.length === 2)
  await app.wsHub.publish('room', 6)
  await seen.until(() => seen.messages.length === 6)

  assert.deepEqual(seen.messages.map((m) => [m.data, m.offset, m.epoch]), [1, 2, 3, 4, 5, 6].map((n) => [n, n, epoch]))
  assert.deepEqual(seen.results.map((r) => [r.recovered, r.publications.map((p) => p.data)]), [[false, []], [true, [3, 4, 5]]])
  const subscribes = recorder.sent.filter((frame) => frame.method === 'subscribe').map((frame) => frame.params)
  assert.deepEqual(subscribes, [{ channel: 'room' }, { channel: 'room', recover: { offset: 2, epoch } }])
  assert.deepEqual(sub.position, { offset: 6, epoch })
})

test('a channel without history is subscribed again without recover, and onSubscribed says recovered: false', { timeout: 20_000 }, async (t) => {
  const { app, url } = await startServer(t)
  const id = nextClientId(app)
  const recorder = recordingWebSocket()
  const client = await openClient(t, url, { WebSocket: recorder.WebSocket, reconnect: FAST })
  const seen = watch()
  const sub = client.subscribe('room', seen.options)
  await sub.ready
  assert.equal(sub.position, undefined)
  await app.wsHub.publish('room', 'live')
  await seen.until(() => seen.messages.length === 1)
  app.wsHub.disconnect(await id, 4000, 'bye')
  await seen.until(() => seen.results.length === 2)
  assert.deepEqual(seen.messages, [{ channel: 'room', data: 'live', from: 'server' }])
  assert.deepEqual(seen.results.map((r) => r.recovered), [false, false])
  assert.deepEqual(recorder.sent.filter((frame) => frame.method === 'subscribe').map((frame) => frame.params), [{ channel: 'room' }, { channel: 'room' }])
})

test('a resubscription refused after a reconnect (-32010) is reported through error and dropped', { timeout: 20_000 }, async (t) => {
  let allowed = true
  const authorize = ({ action }: AuthorizeRequest) => action !== 'subscribe' || allowed
  const { app, url } = await startServer(t, {}, { authorize })
  const id = nextClientId(app)
  const client = await openClient(t, url, { reconnect: FAST })
  const sub = client.subscribe('room', { onMessage () {} })
  await sub.ready
  allowed = false
  const error = nextEvent(client, 'error')
  app.wsHub.disconnect(await id, 4000, 'bye')
  const err = await error as HubError
  assert.ok(err instanceof HubError)
  assert.equal(err.code, -32010)
  assert.equal(err.message, 'subscribe room: Not allowed')
  assert.deepEqual(err.data, { action: 'subscribe', channel: 'room', reason: 'refused by authorize' })
  // dropped: the channel is free to subscribe again
  allowed = true
  const again = client.subscribe('room', { onMessage () {} })
  assert.equal((await again.ready).subscribed, true)
})

test('a resubscription that fails for a transient reason (-32001) is retried with backoff', { timeout: 20_000 }, async (t) => {
  let failures = 0
  let refuseNext = false
  const authorize = ({ action }: AuthorizeRequest) => {
    if (action === 'subscribe' && refuseNext && failures < 2) {
      failures++
      throw new RpcError(-32001, 'Subscription not confirmed: pub/sub unavailable')
    }
    return true
  }
  const { app, url } = await startServer(t, {}, { authorize })
  const id = nextClientId(app)
  const client = await openClient(t, url, { reconnect: FAST })
  const errors = collect(client, 'error')
  const seen = watch()
  await client.subscribe('room', seen.options).ready
  refuseNext = true
  app.wsHub.disconnect(await id, 4000, 'bye')
  await seen.until(() => seen.results.length === 2)
  assert.equal(failures, 2)
  assert.deepEqual(errors, [])
  await app.wsHub.publish('room', 'after')
  await seen.until(() => seen.messages.length === 1)
})

test('the first subscribe refused rejects ready: -32010 by authorize, -32011 past the channel cap', { timeout: 20_000 }, async (t) => {
  const authorize = ({ channel }: AuthorizeRequest) => channel !== 'secret'
  const { url } = await startServer(t, { WS_MAX_CHANNELS_PER_CONNECTION: 1 }, { authorize })
  const client = await openClient(t, url)
  const errors = collect(client, 'error')
  await assert.rejects(client.subscribe('secret', { onMessage () {} }).ready,
    { name: 'HubError', code: -32010, message: 'subscribe secret: Not allowed', data: { action: 'subscribe', channel: 'secret', reason: 'refused by authorize' } })
  await client.subscribe('one', { onMessage () {} }).ready
  await assert.rejects(client.subscribe('two', { onMessage () {} }).ready,
    { name: 'HubError', code: -32011, message: 'subscribe two: Too many channels', data: { limit: 1 } })
  await assert.rejects(client.subscribe('a b', { onMessage () {} }).ready, { code: -32602 })
  // refused once, dropped: none is held, and none was reported twice
  assert.deepEqual(errors, [])
  assert.equal((await client.subscribe('secret2', { onMessage () {} }).ready.catch((err: HubError) => err.code)), -32011)
})

test('presence: onJoin and onLeave, presence() and history() of the channel', { timeout: 20_000 }, async (t) => {
  const { app, url } = await startServer(t, { WS_HISTORY_SIZE: 10 })
  const aliceId = nextClientId(app)
  const alice = await openClient(t, url)
  const joins: string[] = []
  const leaves: string[] = []
  let onLeave = () => {}
  const left = new Promise<void>((resolve) => { onLeave = resolve })
  const sub = alice.subscribe('lobby', {
    presence: true,
    onMessage () {},
    onJoin: (event) => joins.push(event.client.id),
    onLeave: (event) => { leaves.push(event.client.id); onLeave() }
  })
  await sub.ready
  const bobId = nextClientId(app)
  const bob = await openClient(t, url)
  await bob.subscribe('lobby', { onMessage () {} }).ready
  const presence = await sub.presence()
  presence.clients.sort((a, b) => a.id.localeCompare(b.id))
  assert.deepEqual(presence, { channel: 'lobby', count: 2, clients: [{ id: await aliceId }, { id: await bobId }].sort((a, b) => a.id.localeCompare(b.id)) })
  bob.close()
  await left
  assert.deepEqual(joins, [await aliceId, await bobId])
  assert.deepEqual(leaves, [await bobId])

  await app.wsHub.publish('lobby', 'a')
  await app.wsHub.publish('lobby', 'b')
  const { epoch } = sub.position!
  assert.deepEqual(await sub.history({ limit: 1, reverse: true }),
    { publications: [{ channel: 'lobby', data: 'b', from: 'server', offset: 2, epoch }], epoch, offset: 2 })
})

test('unsubscribe stops the callbacks at once; subscribing twice to one channel throws EALREADY', { timeout: 20_000 }, async (t) => {
  const { app, url } = await startServer(t)
  const client = await openClient(t, url)
  const seen = watch()
  const sub = client.subscribe('room', seen.options)
  assert.throws(() => client.subscribe('room', { onMessage () {} }),
    { name: 'HubError', code: 'EALREADY', message: 'already subscribed to room: unsubscribe first' })
  await sub.ready
  const other = watch()
  await client.subscribe('other', other.options).ready
  const done = sub.unsubscribe()
  // published before the server read the unsubscribe: it may reach the socket, never the callback
  await app.wsHub.publish('room', 'late')
  await done
  await app.wsHub.publish('other', 'witness')
  await other.until(() => other.messages.length === 1)
  assert.deepEqual(seen.messages, [])
  assert.equal((await client.call('presence.count', { channel: 'room' })).count, 0)

  const early = client.subscribe('early', { onMessage () {} })
  await early.unsubscribe()
  await assert.rejects(early.ready, { code: 'ECANCELED', message: 'unsubscribed from early before it was confirmed' })
})

test('a callback that throws is reported through error, and delivery goes on', { timeout: 20_000 }, async (t) => {
  const { app, url } = await startServer(t)
  const client = await openClient(t, url)
  const errors = collect(client, 'error')
  const data: unknown[] = []
  await client.subscribe('room', {
    onMessage (message) {
      data.push(message.data)
      if (message.data === 1) throw new Error('app bug')
    }
  }).ready
  await app.wsHub.publish('room', 1)
  await app.wsHub.publish('room', 2)
  while (data.length < 2) await client.call('self.reply', { text: 'tick' })
  assert.deepEqual(data, [1, 2])
  assert.deepEqual(errors.map((err) => err.message), ['app bug'])
})

test('broadcast notifications reach the broadcast event', { timeout: 20_000 }, async (t) => {
  const { app, url } = await startServer(t)
  const client = await openClient(t, url)
  const heard = nextEvent(client, 'broadcast')
  await app.wsHub.broadcast('hello')
  assert.deepEqual(await heard, { text: 'hello', from: 'server' })
})

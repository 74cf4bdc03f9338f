import assert from 'node:assert/strict'
import { test } from 'node:test'
import Type from 'typebox'
import { HubClient, HubError } from '../../client/index.js'
import { defineMethod } from '../../src/methods/method.js'
import { collect, nextEvent, openClient, recordingWebSocket } from '../helpers/hub-client.js'
import { startServer } from '../helpers/server.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'

/** A method whose answer waits for the test: `release()` lets the pending calls return. */
function gatedMethod (name: string) {
  let open: () => void = () => {}
  let gate = new Promise<void>((resolve) => { open = resolve })
  const started: string[] = []
  const method = defineMethod({
    name,
    params: Type.Object({ tag: Type.String() }),
    async handle ({ tag }) {
      started.push(tag)
      await gate
      return { tag }
    }
  })
  return {
    method,
    started,
    release () {
      open()
      gate = new Promise<void>((resolve) => { open = resolve })
    }
  }
}

function isHubError (code: number | string, message: RegExp | string, data?: unknown) {
  return (err: unknown) => {
    assert.ok(err instanceof HubError, `a HubError, got ${String(err)}`)
    assert.equal(err.code, code)
    if (typeof message === 'string') assert.equal(err.message, message)
    else assert.match(err.message, message)
    if (data !== undefined) assert.deepEqual(err.data, data)
    return true
  }
}

test('call resolves with the result, and each request carries its own integer id', { timeout: 20_000 }, async (t) => {
  const { url } = await startServer(t)
  const recorder = recordingWebSocket()
  const client = await openClient(t, url, { WebSocket: recorder.WebSocket })
  const results = await Promise.all(['a', 'b', 'c'].map((text) => client.call('self.reply', { text })))
  assert.deepEqual(results, [{ text: 'a' }, { text: 'b' }, { text: 'c' }])
  const ids = recorder.sent.map((frame) => frame.id)
  assert.deepEqual(recorder.sent.map((frame) => frame.method), ['self.reply', 'self.reply', 'self.reply'])
  assert.ok(ids.every(Number.isInteger), `integer ids: ${ids}`)
  assert.equal(new Set(ids).size, 3)
  assert.equal(client.pendingCalls, 0)
})

test('an error answer rejects with its code, message and data', { timeout: 20_000 }, async (t) => {
  const crash = defineMethod({ name: 'crash', params: Type.Object({}), handle () { throw new Error('bug') } })
  const { url } = await startServer(t, { WS_CHANNEL_PUBLISH: 'server', WS_HISTORY_SIZE: 10 }, { methods: [crash] })
  const client = await openClient(t, url)
  await assert.rejects(client.call('nope'), isHubError(-32601, 'Method not found', { method: 'nope' }))
  await assert.rejects(client.call('self.reply', { text: 42 }), isHubError(-32602, 'Invalid params', [{ path: '/text', message: 'must be string' }]))
  await assert.rejects(client.call('crash', {}), isHubError(-32603, 'Internal error'))
  await assert.rejects(client.call('publish', { channel: 'news', data: 'x' }),
    isHubError(-32010, 'Not allowed', { action: 'publish', channel: 'news', reason: 'only the server publishes' }))
  const { epoch } = await client.call('history', { channel: 'news', limit: 0 })
  assert.equal(typeof epoch, 'string')
  await assert.rejects(client.call('history', { channel: 'news', since: { offset: 0, epoch: 'another' } }),
    isHubError(-32012, 'Unrecoverable position', { epoch, offset: 0 }))
})

test('a call over the message rate rejects with -32029 and its retry delay', { timeout: 20_000 }, async (t) => {
  const { url } = await startServer(t, { WS_RATE_LIMIT_ENABLED: true, WS_MESSAGE_BURST: 2, WS_MESSAGE_RATE_PER_SECOND: 1 })
  const client = await openClient(t, url)
  const settled = await Promise.allSettled([1, 2, 3].map((n) => client.call('self.reply', { text: String(n) })))
  assert.deepEqual(settled.slice(0, 2).map((s) => s.status), ['fulfilled', 'fulfilled'])
  assert.equal(settled[2]!.status, 'rejected')
  const err = (settled[2] as PromiseRejectedResult).reason as HubError
  assert.equal(err.code, -32029)
  assert.equal(err.message, 'rate limit exceeded')
  assert.ok((err.data as { retryAfterMs: number }).retryAfterMs > 0)
})

test('a broadcast the broker cannot confirm rejects with -32001', { timeout: 20_000 }, async (t) => {
  // nothing listens on port 1: the instance runs, its adapter disconnected
  const { url } = await startServer(t, { WS_PUBSUB_ENABLED: true, WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: 'redis://127.0.0.1:1/0', WS_PUBSUB_CONNECT_TIMEOUT_MS: 50 })
  const client = await openClient(t, url)
  await assert.rejects(client.call('broadcast', { text: 'lost?' }), isHubError(-32001, 'Broadcast not confirmed: pub/sub unavailable'))
})

test('a call without an answer rejects with ETIMEDOUT, and the late answer is ignored', { timeout: 20_000 }, async (t) => {
  const slow = gatedMethod('slow')
  const { url } = await startServer(t, {}, { methods: [slow.method] })
  const recorder = recordingWebSocket()
  const client = await openClient(t, url, { WebSocket: recorder.WebSocket, timeoutMs: 300 })
  const errors = collect(client, 'error')
  const received: any[] = []
  recorder.sockets[0]!.on('message', (data) => received.push(JSON.parse(String(data))))

  await assert.rejects(client.call('slow', { tag: 'late' }), isHubError('ETIMEDOUT', 'slow: no answer within 300 ms'))
  assert.equal(client.pendingCalls, 0)
  slow.release()
  // answers come in order on one socket: once this one is in, the late one was read (and dropped)
  assert.deepEqual(await client.call('self.reply', { text: 'after' }), { text: 'after' })
  assert.deepEqual(received.map((frame) => frame.result), [{ tag: 'late' }, { text: 'after' }])
  assert.deepEqual(errors, [])
  assert.equal(client.pendingCalls, 0)
})

test('calls made while connecting wait for the socket', { timeout: 20_000 }, async (t) => {
  const { url } = await startServer(t)
  const client = new HubClient(url)
  t.after(() => client.close())
  assert.equal(client.state, 'connecting')
  const answers = [client.call('self.reply', { text: 'early' }), client.call('presence.count', { channel: 'room' })]
  assert.equal(client.pendingCalls, 2)
  assert.deepEqual(await Promise.all(answers), [{ text: 'early' }, { channel: 'room', count: 0 }])
})

test('calls made while reconnecting are sent on the next connection; one that waits past timeoutMs is never sent', { timeout: 30_000 }, async (t) => {
  // the queued call must live through a reconnect on a loaded machine, so the timeout is not tight
  const TIMEOUT_MS = 2_000
  const { url } = await startServer(t)
  const proxy = await startTcpProxy(t, Number(new URL(url).port))
  const recorder = recordingWebSocket()
  const client = await openClient(t, `ws://127.0.0.1:${proxy.port}/ws`, { WebSocket: recorder.WebSocket, timeoutMs: TIMEOUT_MS, reconnect: { minDelayMs: 20, maxDelayMs: 100 } })

  const dropped = nextEvent(client, 'disconnected')
  proxy.cut()
  assert.deepEqual(await dropped, { code: 1006, reason: '', willReconnect: true })
  assert.equal(client.state, 'reconnecting')
  const expired = client.call('self.reply', { text: 'too late' })
  await assert.rejects(expired, isHubError('ETIMEDOUT', `self.reply: no answer within ${TIMEOUT_MS} ms`))
  const waiting = client.call('self.reply', { text: 'queued' })
  const back = nextEvent(client, 'connected')
  proxy.restore()
  await back
  assert.deepEqual(await waiting, { text: 'queued' })
  assert.deepEqual(recorder.sent.map((frame) => frame.params.text), ['queued'])
})

test('a call in flight when the connection drops rejects with ECONNRESET', { timeout: 20_000 }, async (t) => {
  const slow = gatedMethod('slow')
  const { url, app } = await startServer(t, {}, { methods: [slow.method] })
  const ids: string[] = []
  app.wsHub.on('connect', (info) => ids.push(info.id))
  const client = await openClient(t, url, { reconnect: { minDelayMs: 10, maxDelayMs: 50 } })
  const inFlight = client.call('slow', { tag: 'cut' })
  // the server has read it: the drop comes after the request went out
  while (slow.started.length === 0) await client.call('self.reply', { text: 'tick' })
  app.wsHub.disconnect(ids[0]!, 4000, 'bye')
  await assert.rejects(inFlight, isHubError('ECONNRESET', /may have run/))
  assert.equal(client.pendingCalls, 0)
  await nextEvent(client, 'connected')
  assert.deepEqual(await client.call('self.reply', { text: 'again' }), { text: 'again' })
  slow.release()
})

test('notify sends a notification, queued while connecting, and gets no answer', { timeout: 20_000 }, async (t) => {
  const heard: string[] = []
  let onHeard = () => {}
  const record = defineMethod({
    name: 'record',
    params: Type.Object({ text: Type.String() }),
    handle ({ text }) {
      heard.push(text)
      onHeard()
      return { ok: true }
    }
  })
  const { url } = await startServer(t, {}, { methods: [record] })
  const recorder = recordingWebSocket()
  const client = new HubClient(url, { WebSocket: recorder.WebSocket })
  t.after(() => client.close())
  const heardTwo = new Promise<void>((resolve) => { onHeard = () => { if (heard.length === 2) resolve() } })
  client.notify('record', { text: 'queued' })
  await nextEvent(client, 'connected')
  client.notify('record', { text: 'live' })
  await heardTwo
  assert.deepEqual(heard, ['queued', 'live'])
  assert.deepEqual(recorder.sent, [
    { jsonrpc: '2.0', method: 'record', params: { text: 'queued' } },
    { jsonrpc: '2.0', method: 'record', params: { text: 'live' } }
  ])
  assert.equal(client.pendingCalls, 0)
})

test('close() rejects what is pending, ends the subscriptions, and refuses further calls', { timeout: 20_000 }, async (t) => {
  const slow = gatedMethod('slow')
  // hooks run in order: the handler returns before the server closes
  t.after(() => slow.release())
  const { url } = await startServer(t, {}, { methods: [slow.method] })
  const client = await openClient(t, url)
  const events = collect(client, 'disconnected')
  const inFlight = client.call('slow', { tag: 'x' })
  while (slow.started.length === 0) await client.call('self.reply', { text: 'tick' })
  client.close()
  await assert.rejects(inFlight, isHubError('ECONNRESET', /client closed/))
  assert.equal(client.state, 'closed')
  assert.equal(client.pendingCalls, 0)
  assert.deepEqual(events, [{ code: 1000, reason: 'closed by the client', willReconnect: false }])
  await assert.rejects(client.call('self.reply', { text: 'no' }), isHubError('ECLOSED', 'the client is closed'))
  assert.throws(() => client.subscribe('room', { onMessage () {} }), isHubError('ECLOSED', 'the client is closed'))

  const never = new HubClient(url)
  const queued = never.call('self.reply', { text: 'queued' })
  const sub = never.subscribe('room', { onMessage () {} })
  never.close()
  await assert.rejects(queued, isHubError('ECLOSED', 'the client is closed'))
  await assert.rejects(sub.ready, isHubError('ECLOSED', 'the client is closed'))
})

test('bad options throw at once, naming the option', () => {
  assert.throws(() => new HubClient('not a url'), { name: 'TypeError', message: 'HubClient: "not a url" is not a URL' })
  assert.throws(() => new HubClient('ftp://x/ws'), { name: 'TypeError', message: 'HubClient: the URL must be ws:// or wss://, got ftp://' })
  assert.throws(() => new HubClient('ws://127.0.0.1:1/ws', { timeoutMs: 0 }), { name: 'RangeError', message: 'HubClient: timeoutMs must be a number >= 1, got 0' })
  assert.throws(() => new HubClient('ws://127.0.0.1:1/ws', { reconnect: { minDelayMs: 100, maxDelayMs: 10 } }),
    { name: 'RangeError', message: 'HubClient: reconnect.maxDelayMs must be a number >= 100, got 10' })
  assert.throws(() => new HubClient('ws://127.0.0.1:1/ws', { ping: { intervalMs: 0 } }), { name: 'RangeError', message: 'HubClient: ping.intervalMs must be a number >= 1, got 0' })
  assert.throws(() => new HubClient('ws://127.0.0.1:1/ws', { ping: { timeoutMs: Number.NaN } }), { name: 'RangeError', message: 'HubClient: ping.timeoutMs must be a number >= 1, got NaN' })
})

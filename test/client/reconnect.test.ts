import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HubClient, HubError } from '../../client/index.js'
import { collect, nextEvent, openClient, recordingWebSocket } from '../helpers/hub-client.js'
import { epochSeconds, expiresSoon, signJwt } from '../helpers/jwt.js'
import { startServer } from '../helpers/server.js'
import { spawnServer } from '../helpers/child.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'
import WebSocket from 'ws'

const SECRET = 'a-hmac-key-of-at-least-32-characters!'
const FAST = { minDelayMs: 20, maxDelayMs: 200 }

/** Resolves with the id of the next client the server admits. */
function nextClientId (app: Awaited<ReturnType<typeof startServer>>['app']): Promise<string> {
  return new Promise((resolve) => {
    const listener = (info: { id: string }) => { app.wsHub.off('connect', listener); resolve(info.id) }
    app.wsHub.on('connect', listener)
  })
}

test('the client reconnects after a server restart on the same port, and its subscription comes back', { timeout: 60_000 }, async (t) => {
  const first = await spawnServer(t)
  const client = await openClient(t, first.url, { reconnect: FAST })
  const subscribed: boolean[] = []
  let onSubscribed = () => {}
  const sub = client.subscribe('room', {
    onMessage () {},
    onSubscribed: (result) => { subscribed.push(result.subscribed); onSubscribed() }
  })
  await sub.ready
  const events = collect(client, 'disconnected')

  const down = nextEvent(client, 'disconnected')
  first.proc.kill('SIGTERM')
  assert.deepEqual(await down, { code: 1001, reason: 'server shutting down', willReconnect: true })
  await first.exited
  const resubscribed = new Promise<void>((resolve) => { onSubscribed = resolve })
  const second = await spawnServer(t, { WS_PORT: String(first.port) })
  await resubscribed
  assert.equal(client.state, 'open')
  assert.deepEqual(await client.call('self.reply', { text: 'back' }), { text: 'back' })
  assert.deepEqual(subscribed, [true, true])
  const { count } = await sub.presence()
  assert.equal(count, 1)
  // one drop, one event: the attempts that found the port closed are not reported
  assert.deepEqual(events, [{ code: 1001, reason: 'server shutting down', willReconnect: true }])
  assert.equal(second.port, first.port)
})

test('disconnected fires once per drop and once on the stop: failed attempts, first connection included, emit nothing', { timeout: 30_000 }, async (t) => {
  const { url } = await startServer(t)
  const proxy = await startTcpProxy(t, Number(new URL(url).port))
  const recorder = recordingWebSocket()
  proxy.cut()
  const client = new HubClient(`ws://127.0.0.1:${proxy.port}/ws`, { WebSocket: recorder.WebSocket, reconnect: FAST })
  t.after(() => client.close())
  const events = collect(client, 'disconnected')
  // the third attempt is made once two have failed
  while (recorder.sockets.length < 3) await recorder.nextSocket()
  assert.deepEqual(events, [])
  assert.equal(client.state, 'connecting')
  const opened = nextEvent(client, 'connected')
  proxy.restore()
  await opened
  assert.deepEqual(events, [])

  proxy.cut()
  const attemptsBefore = recorder.sockets.length
  while (recorder.sockets.length < attemptsBefore + 3) await recorder.nextSocket()
  assert.deepEqual(events, [{ code: 1006, reason: '', willReconnect: true }])
  assert.equal(client.state, 'reconnecting')
  client.close()
  assert.deepEqual(events, [{ code: 1006, reason: '', willReconnect: true }, { code: 1000, reason: 'closed by the client', willReconnect: false }])
})

test('a 1001 close (server draining) is followed by a new connection at once, not after the backoff', { timeout: 20_000 }, async (t) => {
  const { app, url } = await startServer(t)
  const recorder = recordingWebSocket()
  // a minute of backoff: a reconnect within the test's timeout did not wait for it
  const client = await openClient(t, url, { WebSocket: recorder.WebSocket, reconnect: { minDelayMs: 60_000, maxDelayMs: 60_000 } })
  const dropped = nextEvent(client, 'disconnected')
  const nextSocket = recorder.nextSocket()
  await app.close()
  assert.deepEqual(await dropped, { code: 1001, reason: 'server shutting down', willReconnect: true })
  await nextSocket
  assert.equal(recorder.sockets.length, 2)
})

test('4429, 4503 and other closes are followed by a reconnect with backoff', { timeout: 20_000 }, async (t) => {
  const { app, url } = await startServer(t)
  let id = nextClientId(app)
  const client = await openClient(t, url, { reconnect: FAST })
  for (const [code, reason] of [[4429, 'too many connections for this user'], [4503, 'draining'], [4000, 'bye']] as const) {
    const dropped = nextEvent(client, 'disconnected')
    const back = nextEvent(client, 'connected')
    const current = await id
    id = nextClientId(app)
    app.wsHub.disconnect(current, code, reason)
    assert.deepEqual(await dropped, { code, reason, willReconnect: true })
    await back
  }
  assert.deepEqual(await client.call('self.reply', { text: 'still here' }), { text: 'still here' })
})

test('a 4403 close stops the client for good, with disconnected and an EAUTH error', { timeout: 20_000 }, async (t) => {
  const { app, url } = await startServer(t)
  const id = nextClientId(app)
  const recorder = recordingWebSocket()
  const client = await openClient(t, url, { WebSocket: recorder.WebSocket, reconnect: FAST })
  const dropped = nextEvent(client, 'disconnected')
  const error = nextEvent(client, 'error')
  app.wsHub.disconnect(await id, 4403, 'origin not allowed')
  assert.deepEqual(await dropped, { code: 4403, reason: 'origin not allowed', willReconnect: false })
  const err = await error as HubError
  assert.equal(err.code, 'EAUTH')
  assert.equal(err.message, 'the server refused the connection (4403 origin not allowed); not reconnecting')
  assert.deepEqual(err.data, { code: 4403, reason: 'origin not allowed' })
  assert.equal(client.state, 'closed')
  await assert.rejects(client.call('self.reply', { text: 'x' }), { code: 'ECLOSED' })
  assert.equal(recorder.sockets.length, 1)
})

test('a 4401 close (the JWT expired) stops the client for good', { timeout: 20_000 }, async (t) => {
  const { url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_JWT_SECRET: SECRET })
  const token = signJwt({ sub: 'alice', exp: expiresSoon() }, { alg: 'HS256', key: SECRET })
  const client = await openClient(t, `${url}?access_token=${token}`, { reconnect: FAST })
  const error = nextEvent(client, 'error')
  assert.deepEqual(await nextEvent(client, 'disconnected'), { code: 4401, reason: 'token expired', willReconnect: false })
  assert.equal((await error as HubError).code, 'EAUTH')
  assert.equal(client.state, 'closed')
})

test('an upgrade refused with HTTP 401 (seen through ws) stops the client for good', { timeout: 20_000 }, async (t) => {
  const { url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alice:tok1' })
  const expired = signJwt({ sub: 'alice', exp: epochSeconds(-60) }, { alg: 'HS256', key: SECRET })
  // ws reports the status; Node's own WebSocket (undici, Node 22+) and browsers do not
  const client = new HubClient(`${url}?access_token=${expired}`, { WebSocket: WebSocket as any, reconnect: FAST })
  t.after(() => client.close())
  const error = nextEvent(client, 'error')
  assert.deepEqual(await nextEvent(client, 'disconnected'), { code: 1006, reason: 'HTTP 401', willReconnect: false })
  const err = await error as HubError
  assert.equal(err.code, 'EAUTH')
  assert.deepEqual(err.data, { code: 401, reason: 'HTTP 401' })
  assert.equal(client.state, 'closed')
})

test('with reconnect: false a drop closes the client for good', { timeout: 20_000 }, async (t) => {
  const { app, url } = await startServer(t)
  const id = nextClientId(app)
  const client = await openClient(t, url, { reconnect: false })
  const sub = client.subscribe('room', { onMessage () {} })
  await sub.ready
  const dropped = nextEvent(client, 'disconnected')
  app.wsHub.disconnect(await id, 4000, 'bye')
  assert.deepEqual(await dropped, { code: 4000, reason: 'bye', willReconnect: false })
  assert.equal(client.state, 'closed')
  await assert.rejects(client.call('self.reply', { text: 'x' }), { code: 'ECLOSED' })
})

test('a getToken that fails is reported and tried again after the backoff', { timeout: 20_000 }, async (t) => {
  const { url } = await startServer(t)
  let calls = 0
  const client = new HubClient(url, {
    reconnect: FAST,
    getToken: async () => {
      calls++
      if (calls === 1) throw new Error('token service down')
      return undefined
    }
  })
  t.after(() => client.close())
  const error = await nextEvent(client, 'error')
  assert.equal(error.message, 'token service down')
  await nextEvent(client, 'connected')
  assert.equal(calls, 2)
})

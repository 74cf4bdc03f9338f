// Needs the server's subprotocol token carrier (the hub reads `bearer.<base64url>` and echoes `ws-hub.v1`) and its
// in-band refusals (WS_REFUSE_IN_BAND).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import WebSocket from 'ws'
import { HubClient, type HubError } from '../../client/index.js'
import { nextEvent, openClient } from '../helpers/hub-client.js'
import { signJwt } from '../helpers/jwt.js'
import { startServer } from '../helpers/server.js'

const SECRET = 'a-hmac-key-of-at-least-32-characters!'

test('a static token given as `token` authenticates the connection through the subprotocol', { timeout: 20_000 }, async (t) => {
  const { url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alice:tok1' })
  const client = await openClient(t, url, { token: 'tok1' })
  const sub = client.subscribe('room', { onMessage () {} })
  await sub.ready
  assert.deepEqual((await sub.presence()).clients.map((member) => member.user), ['alice'])
})

test('getToken gives a fresh JWT on each connection', { timeout: 20_000 }, async (t) => {
  const { app, url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_JWT_SECRET: SECRET })
  const ids: string[] = []
  app.wsHub.on('connect', (info) => ids.push(info.id))
  const subs = ['alice', 'bob']
  let calls = 0
  const client = await openClient(t, url, {
    getToken: () => signJwt({ sub: subs[Math.min(calls++, 1)] }, { alg: 'HS256', key: SECRET }),
    reconnect: { minDelayMs: 10, maxDelayMs: 50 }
  })
  const sub = client.subscribe('room', { onMessage () {} })
  await sub.ready
  assert.deepEqual((await sub.presence()).clients.map((member) => member.user), ['alice'])
  const back = nextEvent(client, 'connected')
  app.wsHub.disconnect(ids[0]!, 4000, 'bye')
  await back
  await client.call('self.reply', { text: 'sync' })
  assert.deepEqual((await sub.presence()).clients.map((member) => member.user), ['bob'])
})

test('a wrong token given as `token` is refused with HTTP 401, and the client stops', { timeout: 20_000 }, async (t) => {
  const { url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alice:tok1' })
  const client = new HubClient(url, { token: 'wrong', WebSocket: WebSocket as any, reconnect: { minDelayMs: 10, maxDelayMs: 50 } })
  t.after(() => client.close())
  const error = nextEvent(client, 'error')
  assert.deepEqual(await nextEvent(client, 'disconnected'), { code: 1006, reason: 'HTTP 401', willReconnect: false })
  assert.equal((await error as HubError).code, 'EAUTH')
})

test('with WS_REFUSE_IN_BAND a refused token closes with 4401 and a reason, whatever the WebSocket, and the client stops', { timeout: 20_000 }, async (t) => {
  const { url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alice:tok1', WS_REFUSE_IN_BAND: true })
  // no WebSocket given: Node's own on Node 22+, which shows no HTTP status; the close code says it all
  const client = new HubClient(url, { token: 'wrong', reconnect: { minDelayMs: 10, maxDelayMs: 50 } })
  t.after(() => client.close())
  const error = nextEvent(client, 'error')
  const { code, reason, willReconnect } = await nextEvent(client, 'disconnected')
  assert.deepEqual({ code, willReconnect }, { code: 4401, willReconnect: false })
  assert.match(reason, /^token /)
  const err = await error as HubError
  assert.equal(err.code, 'EAUTH')
  assert.deepEqual(err.data, { code: 4401, reason })
  assert.equal(client.state, 'closed')
})

test('with WS_REFUSE_IN_BAND a full instance closes with 4503, and the client backs off and gets in once there is room', { timeout: 20_000 }, async (t) => {
  const { app, url } = await startServer(t, { WS_MAX_CONNECTIONS: 1, WS_REFUSE_IN_BAND: true })
  const first = await openClient(t, url)
  const second = new HubClient(url, { reconnect: { minDelayMs: 10, maxDelayMs: 50 } })
  t.after(() => second.close())
  assert.deepEqual(await nextEvent(second, 'disconnected'), { code: 4503, reason: 'connection limit reached', willReconnect: true })
  const left = new Promise((resolve) => app.wsHub.once('disconnect', resolve))
  first.close()
  await left
  // a call queued now may go out on an attempt refused just before the slot freed (that socket opens, then closes
  // with 4503): it then rejects with ECONNRESET, and the next attempt gets in
  let answer: unknown
  for (let attempt = 0; attempt < 10 && answer === undefined; attempt++) {
    answer = await second.call('self.reply', { text: 'in at last' }).catch((err: HubError) => { assert.equal(err.code, 'ECONNRESET') })
  }
  assert.deepEqual(answer, { text: 'in at last' })
  assert.equal(second.state, 'open')
})

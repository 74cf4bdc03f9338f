import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import type { FastifyInstance } from 'fastify'
import { CloseCode } from '../../src/close-codes.js'
import { REFUSED_CLOSE_GRACE_MS } from '../../src/hub/refused-upgrade.js'
import { SUBPROTOCOL } from '../../src/subprotocol.js'
import { bearerProtocols, connectOffering, refusedInBand } from '../helpers/bearer-protocol.js'
import { connect, refusedUpgrade } from '../helpers/client.js'
import { expiresSoon, epochSeconds, signJwt } from '../helpers/jwt.js'
import { fetchMetrics, metricValue, startServer, type TestEnv } from '../helpers/server.js'
import { Op, RawSocket, frame, portOf, rawHttp, upgradeRequest } from './raw-ws.js'

const SECRET = 'a-hmac-key-of-at-least-32-characters!'
const IN_BAND = { WS_REFUSE_IN_BAND: true }
const AUTH = { ...IN_BAND, WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alpha-secret', WS_JWT_SECRET: SECRET }
const TIMEOUT = { timeout: 30_000 }

/** An in-process server whose hub events are counted: a refused socket must emit none. */
async function hub (t: TestContext, env: TestEnv) {
  const server = await startServer(t, env)
  const events = { connect: 0, disconnect: 0 }
  server.app.wsHub.on('connect', () => { events.connect++ })
  server.app.wsHub.on('disconnect', () => { events.disconnect++ })
  return { ...server, events }
}

/** What the hub saw of refused sockets: nothing, as /metrics and the handle tell it. */
async function assertUntouched (app: FastifyInstance, http: string, events: { connect: number, disconnect: number }, admitted = 0) {
  const text = await fetchMetrics(http)
  assert.deepEqual(
    { connections: app.wsHub.connections, gauge: metricValue(text, 'ws_connections'), accepted: metricValue(text, 'ws_connections_total'), events },
    { connections: admitted, gauge: admitted, accepted: admitted, events: { connect: admitted, disconnect: 0 } }
  )
}

const tokenCases: Array<[string, { protocols?: string[], headers?: Record<string, string>, query?: string }, string, string]> = [
  ['no token', {}, 'token missing', 'missing'],
  ['a wrong token in the header', { headers: { authorization: 'Bearer gamma-secret' } }, 'token invalid', 'invalid'],
  ['a wrong token as a protocol', { protocols: bearerProtocols('gamma-secret') }, 'token invalid', 'invalid'],
  ['a malformed bearer. protocol', { protocols: [SUBPROTOCOL, 'bearer.a+b'] }, 'token invalid', 'invalid'],
  ['an expired JWT in the query', { query: `?access_token=${signJwt({ sub: 'alice', exp: epochSeconds(-60) }, { alg: 'HS256', key: SECRET })}` }, 'token expired', 'expired'],
  ['a JWT without sub as a protocol', { protocols: bearerProtocols(signJwt({ exp: epochSeconds(3600) }, { alg: 'HS256', key: SECRET })) }, 'token refused', 'refused']
]

for (const [name, sent, reason, label] of tokenCases) {
  test(`in-band: ${name} is closed with 4401 ${reason} right after the 101, counted, and never joins the hub`, TIMEOUT, async (t) => {
    const { app, url, http, events } = await hub(t, AUTH)
    const closed = await refusedInBand(t, url + (sent.query ?? ''), sent.protocols ?? [SUBPROTOCOL], { headers: sent.headers ?? {} })
    // the browser's handshake succeeds (our protocol is echoed), so it reads the code and reason
    assert.deepEqual(closed, { code: CloseCode.TokenExpired, reason, echoed: SUBPROTOCOL })
    assert.equal(metricValue(await fetchMetrics(http), `ws_auth_failures_total{reason="${label}"}`), 1)
    await assertUntouched(app, http, events)
  })
}

test('in-band: a disallowed Origin is closed with 4403 origin not allowed, and the token is not checked', TIMEOUT, async (t) => {
  const { app, url, http, events } = await hub(t, { ...AUTH, WS_ALLOWED_ORIGINS: 'https://app.example.com' })
  const closed = await refusedInBand(t, url, [], { headers: { origin: 'https://evil.example.com' } })
  assert.deepEqual(closed, { code: CloseCode.Forbidden, reason: 'origin not allowed', echoed: undefined })
  // as with the HTTP answer, the checks after the first refusal do not run: no auth failure is counted
  assert.equal(metricValue(await fetchMetrics(http), 'ws_auth_failures_total{reason="missing"}'), 0)
  await assertUntouched(app, http, events)
})

test('in-band: past the per-IP upgrade limit the upgrade is closed with 4429, counted once', TIMEOUT, async (t) => {
  const env = { ...AUTH, WS_RATE_LIMIT_ENABLED: true, WS_RATE_LIMIT_MAX: 1, WS_RATE_LIMIT_WINDOW_MS: 60_000 }
  const { app, url, http, events } = await hub(t, env)
  const first = await connect(t, url, { headers: { authorization: 'Bearer alpha-secret' } })
  const left = once(app.wsHub, 'disconnect')
  first.ws.close()
  await left
  // a valid token does not help: the limit comes first
  const closed = await refusedInBand(t, url, bearerProtocols('alpha-secret'))
  assert.deepEqual(closed, { code: CloseCode.RateLimited, reason: 'rate limit exceeded', echoed: SUBPROTOCOL })
  const text = await fetchMetrics(http)
  assert.deepEqual(
    { rateLimited: metricValue(text, 'ws_rate_limited_total'), accepted: metricValue(text, 'ws_connections_total'), connections: app.wsHub.connections, events },
    { rateLimited: 1, accepted: 1, connections: 0, events: { connect: 1, disconnect: 1 } }
  )
})

test('in-band: a full instance closes the upgrade with 4503 connection limit reached', TIMEOUT, async (t) => {
  const { app, url, http, events } = await hub(t, { ...AUTH, WS_MAX_CONNECTIONS: 1 })
  await connect(t, url, { headers: { authorization: 'Bearer alpha-secret' } })
  const closed = await refusedInBand(t, url, bearerProtocols('alpha-secret'))
  assert.deepEqual(closed, { code: CloseCode.Unavailable, reason: 'connection limit reached', echoed: SUBPROTOCOL })
  await assertUntouched(app, http, events, 1)
})

test('in-band: a draining instance closes the upgrade with 4503 server shutting down', TIMEOUT, async (t) => {
  const { app, url, http, events } = await hub(t, IN_BAND)
  await app.wsHub.drain()
  const closed = await refusedInBand(t, url, [SUBPROTOCOL])
  assert.deepEqual(closed, { code: CloseCode.Unavailable, reason: 'server shutting down', echoed: SUBPROTOCOL })
  await assertUntouched(app, http, events)
})

test('in-band: a refused client that never answers the close frame is cut off within the grace, not ws\'s 30 s', TIMEOUT, async (t) => {
  const { url } = await startServer(t, AUTH)
  const answer = await rawHttp(t, portOf(url), upgradeRequest())
  assert.equal(answer.status, 101)
  const raw = new RawSocket(answer.socket, answer.rest)
  answer.socket.resume()
  const close = await raw.next()
  assert.deepEqual({ opcode: close?.opcode, code: close?.payload.readUInt16BE(0), reason: close?.payload.subarray(2).toString() }, { opcode: Op.Close, code: 4401, reason: 'token missing' })
  const since = performance.now()
  // no close frame back: the server must end the TCP connection on its own
  assert.equal(await raw.next(), undefined)
  const waited = performance.now() - since
  t.diagnostic(`ended ${Math.round(waited)} ms after the close frame`)
  // not at once either: the grace is for the close handshake
  assert.ok(waited >= REFUSED_CLOSE_GRACE_MS / 2 && waited < REFUSED_CLOSE_GRACE_MS + 10_000, `ended after ${Math.round(waited)} ms`)
})

test('in-band: a request a refused client sends before it reads the close is not answered', TIMEOUT, async (t) => {
  const { app, url } = await startServer(t, AUTH)
  let connected = 0
  app.wsHub.on('connect', () => { connected++ })
  const answer = await rawHttp(t, portOf(url), upgradeRequest())
  assert.equal(answer.status, 101)
  const raw = new RawSocket(answer.socket, answer.rest)
  answer.socket.resume()
  raw.write(frame(Op.Text, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'self.reply', params: { text: 'hi' } })))
  const { ending, texts } = await raw.ending()
  assert.deepEqual({ ending, texts, connected }, { ending: { close: 4401 }, texts: [], connected: 0 })
})

test('in-band mode leaves requests that are not upgrades their HTTP answers', TIMEOUT, async (t) => {
  const { http } = await startServer(t, { ...AUTH, WS_ALLOWED_ORIGINS: 'https://app.example.com' })
  const missing = await fetch(`${http}/ws`)
  assert.deepEqual({ status: missing.status, challenge: missing.headers.get('www-authenticate') }, { status: 401, challenge: 'Bearer' })
  const origin = await fetch(`${http}/ws`, { headers: { origin: 'https://evil.example.com' } })
  assert.deepEqual({ status: origin.status, body: await origin.json() }, {
    status: 403, body: { statusCode: 403, code: 'WS_ERR_ORIGIN', error: 'Forbidden', message: 'origin not allowed' }
  })
  // past every hook, a plain GET still gets @fastify/websocket's 404
  assert.equal((await fetch(`${http}/ws`, { headers: { authorization: 'Bearer alpha-secret' } })).status, 404)
})

test('by default every refusal is still an HTTP answer before the upgrade, counted the same', TIMEOUT, async (t) => {
  const env = { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alpha-secret', WS_RATE_LIMIT_ENABLED: true, WS_RATE_LIMIT_MAX: 4, WS_MAX_CONNECTIONS: 1, WS_ALLOWED_ORIGINS: 'https://app.example.com' }
  const { app, url, http } = await startServer(t, env)
  const missing = await refusedUpgrade(url)
  assert.deepEqual({ status: missing.status, challenge: missing.headers['www-authenticate'] }, { status: 401, challenge: 'Bearer' })
  assert.equal((await refusedUpgrade(url, { headers: { origin: 'https://evil.example.com' } })).status, 403)
  await connect(t, url, { headers: { authorization: 'Bearer alpha-secret' } })
  const full = await refusedUpgrade(url, { headers: { authorization: 'Bearer alpha-secret' } })
  assert.deepEqual({ status: full.status, retryAfter: full.headers['retry-after'] }, { status: 503, retryAfter: '1' })
  assert.equal((await refusedUpgrade(url)).status, 429)
  const text = await fetchMetrics(http)
  assert.deepEqual(
    { missing: metricValue(text, 'ws_auth_failures_total{reason="missing"}'), rateLimited: metricValue(text, 'ws_rate_limited_total'), connections: app.wsHub.connections },
    { missing: 1, rateLimited: 1, connections: 1 }
  )
})

test('the JWT expiry close (4401 token expired) is unchanged in in-band mode', TIMEOUT, async (t) => {
  const { url } = await startServer(t, AUTH)
  const jwt = signJwt({ sub: 'alice', exp: expiresSoon() }, { alg: 'HS256', key: SECRET })
  const { client } = await connectOffering(t, url, bearerProtocols(jwt))
  assert.deepEqual(await client.closed, { code: CloseCode.TokenExpired, reason: 'token expired' })
})

import assert from 'node:assert/strict'
import type { IncomingMessage } from 'node:http'
import { test } from 'node:test'
import fastifyWebsocket from '@fastify/websocket'
import Fastify from 'fastify'
import WebSocket from 'ws'
import wsServer from '../../src/index.js'
import { BEARER_PROTOCOL_PREFIX, SUBPROTOCOL } from '../../src/subprotocol.js'
import { bearerProtocols, connectOffering } from '../helpers/bearer-protocol.js'
import { spawnServer } from '../helpers/child.js'
import { refusedUpgrade } from '../helpers/client.js'
import { epochSeconds, signJwt } from '../helpers/jwt.js'
import { startServer } from '../helpers/server.js'
import { authFailures, whoami } from '../helpers/identity.js'

const SECRET = 'a-hmac-key-of-at-least-32-characters!'
const AUTH = { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alpha-secret, beta-secret' }
const TIMEOUT = { timeout: 30_000 }
const carrier = (encoded: string) => BEARER_PROTOCOL_PREFIX + encoded
const base64url = (text: string | Buffer) => Buffer.from(text).toString('base64url')

test('a static token offered as a bearer. protocol is accepted, and only ws-hub.v1 is echoed', TIMEOUT, async (t) => {
  const { url, http } = await startServer(t, AUTH, { methods: [whoami] })
  const { client, echoed } = await connectOffering(t, url, bearerProtocols('beta-secret'))
  assert.equal(echoed, SUBPROTOCOL)
  assert.equal(client.ws.protocol, SUBPROTOCOL)
  assert.deepEqual(await client.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'token-1' } })
  // the token's entry may come first: the echo is still ours alone
  const [ours, token] = bearerProtocols('alpha-secret')
  const reversed = await connectOffering(t, url, [token!, ours!])
  assert.equal(reversed.echoed, SUBPROTOCOL)
  assert.deepEqual(await reversed.client.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'token-0' } })
  assert.deepEqual(await authFailures(http), { missing: 0, invalid: 0, expired: 0, refused: 0 })
})

test('a JWT offered as a bearer. protocol is accepted, its sub the identity', TIMEOUT, async (t) => {
  const { url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_JWT_SECRET: SECRET }, { methods: [whoami] })
  const jwt = signJwt({ sub: 'alice', exp: epochSeconds(3600) }, { alg: 'HS256', key: SECRET })
  const { client, echoed } = await connectOffering(t, url, bearerProtocols(jwt))
  assert.equal(echoed, SUBPROTOCOL)
  assert.deepEqual(await client.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'alice' } })
})

const malformed: Array<[string, string[]]> = [
  ['not base64url', [SUBPROTOCOL, carrier('YWxwaGEtc2VjcmV0+')]],
  ['empty', [SUBPROTOCOL, carrier('')]],
  ['a non-canonical spelling (stray bits in the last character)', [SUBPROTOCOL, carrier('YR')]],
  ['bytes that are not UTF-8', [SUBPROTOCOL, carrier(base64url(Buffer.from([0xff, 0xfe, 0x41])))]],
  ['a token with a control character', [SUBPROTOCOL, carrier(base64url('alpha-secret\n'))]],
  ['a token with a trailing blank', [SUBPROTOCOL, carrier(base64url('alpha-secret '))]],
  ['a valid token offered twice', [SUBPROTOCOL, carrier(base64url('alpha-secret')), carrier(base64url('beta-secret'))]],
  ['a wrong token', bearerProtocols('gamma-secret')]
]

for (const [name, protocols] of malformed) {
  test(`a bearer. protocol holding ${name} gets 401 invalid_token before any 101`, TIMEOUT, async (t) => {
    const { url, http } = await startServer(t, AUTH)
    const refused = await refusedUpgrade(url, { headers: { 'sec-websocket-protocol': protocols.join(', ') } })
    assert.deepEqual({ status: refused.status, challenge: refused.headers['www-authenticate'] }, { status: 401, challenge: 'Bearer error="invalid_token"' })
    assert.deepEqual(await authFailures(http), { missing: 0, invalid: 1, expired: 0, refused: 0 })
  })
}

test('a malformed bearer. protocol is answered with its own error code', TIMEOUT, async (t) => {
  const { http } = await startServer(t, AUTH)
  const response = await fetch(`${http}/ws`, { headers: { 'sec-websocket-protocol': `${SUBPROTOCOL}, ${carrier('a+b')}` } })
  assert.deepEqual({ status: response.status, body: await response.json() }, {
    status: 401,
    body: { statusCode: 401, code: 'WS_ERR_BEARER_PROTOCOL', error: 'Unauthorized', message: 'the bearer. protocol does not carry a base64url token' }
  })
})

test('the Authorization header, then the access_token query, beat the bearer. protocol', TIMEOUT, async (t) => {
  const { url } = await startServer(t, AUTH, { methods: [whoami] })
  const valid = bearerProtocols('alpha-secret')
  const wrongHeader = { headers: { authorization: 'Bearer gamma-secret', 'sec-websocket-protocol': valid.join(', ') } }
  assert.equal((await refusedUpgrade(url, wrongHeader)).status, 401)
  const wrongQuery = { headers: { 'sec-websocket-protocol': valid.join(', ') } }
  assert.equal((await refusedUpgrade(`${url}?access_token=gamma-secret`, wrongQuery)).status, 401)
  // a malformed carrier is not even looked at when the header has the token
  const header = await connectOffering(t, url, [SUBPROTOCOL, carrier('a+b')], { headers: { authorization: 'Bearer beta-secret' } })
  assert.equal(header.echoed, SUBPROTOCOL)
  assert.deepEqual(await header.client.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'token-1' } })
  const query = await connectOffering(t, `${url}?access_token=alpha-secret`, bearerProtocols('beta-secret'))
  assert.deepEqual(await query.client.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'token-0' } })
})

test('with auth off the bearer. protocol is ignored, even a malformed one, and never echoed', TIMEOUT, async (t) => {
  const { url } = await startServer(t, {}, { methods: [whoami] })
  for (const protocols of [bearerProtocols('alpha-secret'), [carrier('a+b'), SUBPROTOCOL]]) {
    const { client, echoed } = await connectOffering(t, url, protocols)
    assert.equal(echoed, SUBPROTOCOL)
    assert.deepEqual(await client.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: null } })
  }
})

test('clients offering other protocols get the first one back as before, and no protocol gets none', TIMEOUT, async (t) => {
  const { url } = await startServer(t)
  const cases: Array<[string[], string | undefined]> = [
    [['chat'], 'chat'],
    [['chat', 'superchat'], 'chat'],
    [['chat', SUBPROTOCOL], SUBPROTOCOL],
    [[], undefined]
  ]
  for (const [offered, expected] of cases) {
    const { echoed } = await connectOffering(t, url, offered)
    assert.equal(echoed, expected, `offered ${offered.join(', ')}`)
  }
})

test('offering only the token, nothing is echoed: the token never comes back', TIMEOUT, async (t) => {
  const { url } = await startServer(t, AUTH)
  const ws = new WebSocket(url, [carrier(base64url('alpha-secret'))])
  t.after(() => ws.terminate())
  // the 101 came (the token was accepted), and ws then fails the handshake itself (RFC 6455 §4.1: no protocol chosen)
  const [[response], [err]] = await Promise.all([
    new Promise<[IncomingMessage]>((resolve) => ws.once('upgrade', (res) => resolve([res]))),
    new Promise<[Error]>((resolve) => ws.once('error', (e) => resolve([e])))
  ])
  assert.equal(response.statusCode, 101)
  assert.equal(response.headers['sec-websocket-protocol'], undefined)
  assert.equal(err.message, 'Server sent no subprotocol')
})

test('a token offered as a protocol never reaches the log, nor its base64url, accepted or refused', { timeout: 60_000 }, async (t) => {
  const jwt = signJwt({ sub: 'carol', exp: epochSeconds(3600) }, { alg: 'HS256', key: SECRET })
  const server = await spawnServer(t, {
    WS_AUTH_ENABLED: 'true', WS_BEARER_TOKENS: 'alpha-secret', WS_JWT_SECRET: SECRET, WS_LOG_LEVEL: 'trace'
  })
  await connectOffering(t, server.url, bearerProtocols('alpha-secret'))
  await connectOffering(t, server.url, bearerProtocols(jwt))
  const wrong = { headers: { 'sec-websocket-protocol': bearerProtocols('wrong-secret').join(', ') } }
  assert.equal((await refusedUpgrade(server.url, wrong)).status, 401)
  // two entries: a malformed carrier whose parts are still secrets
  const twice = { headers: { 'sec-websocket-protocol': [SUBPROTOCOL, carrier(base64url('other-secret')), carrier(base64url('other-secret'))].join(', ') } }
  assert.equal((await refusedUpgrade(server.url, twice)).status, 401)
  // the refused requests' completion lines come last; once both are in, every earlier line is too
  const completed = () => server.logs.filter((line) => line.msg === 'request completed' && line.res?.statusCode === 401).length
  await server.waitForLog(() => completed() === 2)
  const accepted = server.logs.filter((line) => line.msg === 'token accepted').map((line) => line.user)
  assert.deepEqual(accepted, ['token-0', 'carol'])
  const logged = server.logs.map((line) => JSON.stringify(line)).join('\n')
  for (const secret of ['alpha-secret', jwt, 'wrong-secret', 'other-secret']) {
    assert.equal(logged.includes(secret), false, `${secret} appears in the log`)
    assert.equal(logged.includes(base64url(secret)), false, `the base64url of ${secret} appears in the log`)
  }
})

test('a host that registered @fastify/websocket itself still never echoes the token, even offered first', TIMEOUT, async (t) => {
  const app = Fastify({ logger: false })
  // no handleProtocols of ours: ws echoes the first protocol offered, which must not be the token's
  await app.register(fastifyWebsocket)
  await app.register(wsServer, { authEnabled: true, bearerTokens: 'alpha-secret' })
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const [ours, token] = bearerProtocols('alpha-secret')
  const { client, echoed } = await connectOffering(t, `ws://127.0.0.1:${port}/ws`, [token!, ours!])
  assert.equal(echoed, SUBPROTOCOL)
  assert.deepEqual(await client.call('self.reply', { text: 'in' }), { jsonrpc: '2.0', id: 1, result: { text: 'in' } })
})

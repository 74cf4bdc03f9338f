import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { KeyObject } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import { readEnvironment } from '../../src/config/env.js'
import { runServer, spawnServer } from '../helpers/child.js'
import { connect, refusedUpgrade } from '../helpers/client.js'
import { epochSeconds, ecKeys, publicPem, rsaKeys, signJwt, expiresSoon } from '../helpers/jwt.js'
import { startServer } from '../helpers/server.js'
import { authFailures, whoami } from '../helpers/identity.js'

const SECRET = 'a-hmac-key-of-at-least-32-characters!'
const JWT = { WS_AUTH_ENABLED: true, WS_JWT_SECRET: SECRET }
const hs = (payload: Record<string, unknown>) => signJwt(payload, { alg: 'HS256', key: SECRET })
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })

test('a JWT in the header or the query is accepted, and its sub is the identity, presence user and join', async (t) => {
  const { url } = await startServer(t, JWT, { methods: [whoami] })
  const alice = await connect(t, url, bearer(hs({ sub: 'alice', exp: epochSeconds(3600) })))
  const bob = await connect(t, `${url}?access_token=${hs({ sub: 'bob@example.com' })}`)
  assert.deepEqual(await alice.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'alice' } })
  assert.deepEqual(await bob.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'bob@example.com' } })

  await alice.call('subscribe', { channel: 'room:1', presence: true }, 2)
  await bob.call('subscribe', { channel: 'room:1' }, 2)
  // Alice sees her own join, then Bob's
  assert.deepEqual((await alice.next()).params.client.user, 'alice')
  const bobId = (await alice.next()).params.client
  assert.equal(bobId.user, 'bob@example.com')
  const presence = await alice.call('presence', { channel: 'room:1' }, 3)
  assert.deepEqual(presence.result.clients.map((member: { user: string }) => member.user).sort(), ['alice', 'bob@example.com'])
})

test('static tokens keep working beside JWTs, and JWT alone needs no static token', async (t) => {
  const both = await startServer(t, { ...JWT, WS_BEARER_TOKENS: 'carol:static-secret' }, { methods: [whoami] })
  const carol = await connect(t, both.url, bearer('static-secret'))
  assert.deepEqual(await carol.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'carol' } })
  const dave = await connect(t, both.url, bearer(hs({ sub: 'dave' })))
  assert.deepEqual(await dave.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'dave' } })

  const jwtOnly = await startServer(t, JWT)
  assert.equal((await refusedUpgrade(jwtOnly.url, bearer('static-secret'))).status, 401)
  assert.deepEqual(await authFailures(jwtOnly.http), { missing: 0, invalid: 1, expired: 0, refused: 0 })
})

test('/health/live and /health/ready need no token when JWTs guard /ws', async (t) => {
  const { http, url } = await startServer(t, JWT)
  assert.deepEqual(await (await fetch(`${http}/health/live`)).json(), { status: 'ok' })
  assert.deepEqual(await (await fetch(`${http}/health/ready`)).json(), { status: 'ready' })
  const refused = await refusedUpgrade(url)
  assert.deepEqual({ status: refused.status, challenge: refused.headers['www-authenticate'] }, { status: 401, challenge: 'Bearer' })
  assert.deepEqual(await authFailures(http), { missing: 1, invalid: 0, expired: 0, refused: 0 })
})

// one RSA pair for every test of this file: generating one costs tens of milliseconds
const rsa = rsaKeys()

const refusedTokens: Array<[string, Record<string, string | boolean>, () => string, string]> = [
  ['a bad signature', JWT, () => signJwt({ sub: 'eve' }, { alg: 'HS256', key: 'another-hmac-key-of-32-characters!!' }), 'invalid'],
  ['alg: none', JWT, () => signJwt({ sub: 'eve' }, { alg: 'none' }), 'invalid'],
  ['a token that is not a JWT', JWT, () => 'not.a.jwt', 'invalid'],
  ['a wrong aud', { ...JWT, WS_JWT_AUDIENCE: 'hub' }, () => hs({ sub: 'eve', aud: 'billing' }), 'refused'],
  ['no aud when one is required', { ...JWT, WS_JWT_AUDIENCE: 'hub' }, () => hs({ sub: 'eve' }), 'refused'],
  ['no iss when one is required', { ...JWT, WS_JWT_ISSUER: 'https://idp.example' }, () => hs({ sub: 'eve' }), 'refused'],
  ['a wrong iss', { ...JWT, WS_JWT_ISSUER: 'https://idp.example' }, () => hs({ sub: 'eve', iss: 'https://evil.example' }), 'refused'],
  ['an expired token', JWT, () => hs({ sub: 'eve', exp: epochSeconds(-10) }), 'expired'],
  ['a token with no sub', JWT, () => hs({ name: 'eve' }), 'refused'],
  ['a channels claim that is not a list', JWT, () => hs({ sub: 'eve', channels: 'room:*' }), 'refused'],
  ['an HS256 token keyed with the RSA public key', { WS_AUTH_ENABLED: true, WS_JWT_PUBLIC_KEY: publicPem(rsa.publicKey) },
    () => signJwt({ sub: 'eve' }, { alg: 'HS256', key: publicPem(rsa.publicKey) }), 'invalid'],
  ['an RS256 token of another key pair', { WS_AUTH_ENABLED: true, WS_JWT_PUBLIC_KEY: publicPem(rsa.publicKey) },
    () => signJwt({ sub: 'eve' }, { alg: 'RS256', key: anotherRsaKey() }), 'invalid']
]

let otherRsa: KeyObject | undefined
function anotherRsaKey (): KeyObject {
  otherRsa ??= rsaKeys().privateKey
  return otherRsa
}

for (const [name, env, token, reason] of refusedTokens) {
  test(`${name} gets 401 before the upgrade, counted as ${reason}`, async (t) => {
    const { url, http } = await startServer(t, env)
    const refused = await refusedUpgrade(url, bearer(token()))
    assert.deepEqual({ status: refused.status, challenge: refused.headers['www-authenticate'] }, { status: 401, challenge: 'Bearer error="invalid_token"' })
    assert.deepEqual(await authFailures(http), { missing: 0, invalid: 0, expired: 0, refused: 0, [reason]: 1 })
  })
}

test('an RS256 token under WS_JWT_PUBLIC_KEY (with its newlines written as \\n) is accepted, with aud and iss checked', async (t) => {
  const env = {
    WS_AUTH_ENABLED: true,
    WS_JWT_PUBLIC_KEY: publicPem(rsa.publicKey).replace(/\n/g, '\\n'),
    WS_JWT_AUDIENCE: 'hub, other',
    WS_JWT_ISSUER: 'https://idp.example'
  }
  const { url } = await startServer(t, env, { methods: [whoami] })
  const token = signJwt({ sub: 'frank', aud: 'hub', iss: 'https://idp.example' }, { alg: 'RS256', key: rsa.privateKey })
  const frank = await connect(t, url, bearer(token))
  assert.deepEqual(await frank.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'frank' } })
})

const notAllowed = (id: number, action: string, channel: string, reason: string) =>
  ({ jsonrpc: '2.0', id, error: { code: -32010, message: 'Not allowed', data: { action, channel, reason } } })
const subscribed = (id: number, channel: string) =>
  ({ jsonrpc: '2.0', id, result: { channel, subscribed: true, epoch: '', offset: 0, recovered: false, publications: [] } })

test('the channels claim decides subscribe, presence, presence.count and history; room:* is the prefix room:', async (t) => {
  const { url } = await startServer(t, JWT)
  const client = await connect(t, url, bearer(hs({ sub: 'gina', channels: ['room:*', 'lobby'] })))
  assert.deepEqual(await client.call('subscribe', { channel: 'room:1' }, 1), subscribed(1, 'room:1'))
  assert.deepEqual(await client.call('subscribe', { channel: 'lobby' }, 2), subscribed(2, 'lobby'))
  const reason = 'not in the token\'s channels claim'
  assert.deepEqual(await client.call('subscribe', { channel: 'roomy:1' }, 3), notAllowed(3, 'subscribe', 'roomy:1', reason))
  assert.deepEqual(await client.call('subscribe', { channel: 'room' }, 4), notAllowed(4, 'subscribe', 'room', reason))
  assert.deepEqual(await client.call('presence', { channel: 'admin' }, 5), notAllowed(5, 'presence', 'admin', reason))
  assert.deepEqual(await client.call('presence.count', { channel: 'admin' }, 6), notAllowed(6, 'presence', 'admin', reason))
  assert.deepEqual(await client.call('history', { channel: 'admin' }, 7), notAllowed(7, 'history', 'admin', reason))
  assert.deepEqual(await client.call('presence.count', { channel: 'room:1' }, 8), { jsonrpc: '2.0', id: 8, result: { channel: 'room:1', count: 1 } })
  // without a publish claim, publishing follows the channels claim
  assert.deepEqual(await client.call('publish', { channel: 'room:2', data: 1 }, 9), { jsonrpc: '2.0', id: 9, result: { channel: 'room:2', published: true, offset: 0, epoch: '' } })
  assert.deepEqual(await client.call('publish', { channel: 'admin', data: 1 }, 10), notAllowed(10, 'publish', 'admin', reason))
})

test('the publish claim decides publishing on its own', async (t) => {
  const { url } = await startServer(t, JWT)
  const client = await connect(t, url, bearer(hs({ sub: 'hal', channels: ['room:*'], publish: ['room:announce'] })))
  assert.deepEqual(await client.call('publish', { channel: 'room:announce', data: 1 }, 1), { jsonrpc: '2.0', id: 1, result: { channel: 'room:announce', published: true, offset: 0, epoch: '' } })
  assert.deepEqual(await client.call('publish', { channel: 'room:1', data: 1 }, 2), notAllowed(2, 'publish', 'room:1', 'not in the token\'s publish claim'))
  // a token with neither claim is limited by none
  const free = await connect(t, url, bearer(hs({ sub: 'ivy' })))
  assert.deepEqual(await free.call('subscribe', { channel: 'admin' }, 1), subscribed(1, 'admin'))
})

test('an explicit authorize option wins over the token\'s claims', async (t) => {
  const asked: Array<[string, string, string | undefined]> = []
  const { url } = await startServer(t, JWT, {
    authorize ({ action, channel, identity }) {
      asked.push([action, channel, identity])
      return channel === 'admin'
    }
  })
  const client = await connect(t, url, bearer(hs({ sub: 'jay', channels: ['room:*'] })))
  assert.deepEqual(await client.call('subscribe', { channel: 'admin' }, 1), subscribed(1, 'admin'))
  assert.deepEqual(await client.call('subscribe', { channel: 'room:1' }, 2), notAllowed(2, 'subscribe', 'room:1', 'refused by authorize'))
  assert.deepEqual(asked, [['subscribe', 'admin', 'jay'], ['subscribe', 'room:1', 'jay']])
})

test('a connection is closed with 4401 when its token\'s exp passes', async (t) => {
  const { url } = await startServer(t, JWT)
  const client = await connect(t, url, bearer(hs({ sub: 'kim', exp: expiresSoon() })))
  assert.deepEqual(await client.closed, { code: 4401, reason: 'token expired' })
})

test('an exp beyond setTimeout\'s range (24.8 days) does not close the connection early', async (t) => {
  const { url } = await startServer(t, JWT, { methods: [whoami] })
  const far = await connect(t, url, bearer(hs({ sub: 'uma', exp: epochSeconds(40 * 24 * 3600) })))
  // an overflowing delay fires after 1 ms: once the witness's 1 s deadline has passed, so would have that one
  const witness = await connect(t, url, bearer(hs({ sub: 'uma', exp: expiresSoon() })))
  assert.deepEqual(await witness.closed, { code: 4401, reason: 'token expired' })
  assert.deepEqual(await far.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'uma' } })
})

test('auth.refresh with a fresh token for the same sub keeps the connection past the old exp', async (t) => {
  const { url } = await startServer(t, JWT, { methods: [whoami] })
  const exp = expiresSoon()
  // a witness with the same exp: once it is closed, the old deadline has passed
  const witness = await connect(t, url, bearer(hs({ sub: 'lee', exp })))
  const client = await connect(t, url, bearer(hs({ sub: 'lee', exp, channels: ['a'] })))
  const fresh = epochSeconds(3600)
  assert.deepEqual(await client.call('auth.refresh', { token: hs({ sub: 'lee', exp: fresh, channels: ['b'] }) }, 1),
    { jsonrpc: '2.0', id: 1, result: { user: 'lee', expiresAt: fresh * 1000 } })
  assert.deepEqual(await witness.closed, { code: 4401, reason: 'token expired' })
  assert.deepEqual(await client.call('test.whoami', {}, 2), { jsonrpc: '2.0', id: 2, result: { identity: 'lee' } })
  // the new token's claims replaced the old ones
  assert.deepEqual(await client.call('subscribe', { channel: 'b' }, 3), subscribed(3, 'b'))
  assert.deepEqual(await client.call('subscribe', { channel: 'a' }, 4), notAllowed(4, 'subscribe', 'a', 'not in the token\'s channels claim'))
})

test('a refused auth.refresh answers -32013 and the connection still closes at its original exp', async (t) => {
  const { url } = await startServer(t, JWT)
  const client = await connect(t, url, bearer(hs({ sub: 'max', exp: expiresSoon() })))
  const refused = (id: number, reason: string, message: string) =>
    ({ jsonrpc: '2.0', id, error: { code: -32013, message: 'Token refused', data: { reason, message } } })
  assert.deepEqual(await client.call('auth.refresh', { token: hs({ sub: 'not-max', exp: epochSeconds(3600) }) }, 1),
    refused(1, 'refused', 'the token is for another sub than the connection\'s'))
  assert.deepEqual(await client.call('auth.refresh', { token: signJwt({ sub: 'max', exp: epochSeconds(3600) }, { alg: 'none' }) }, 2),
    refused(2, 'invalid', 'The token signature is missing.'))
  assert.deepEqual(await client.call('auth.refresh', { token: hs({ sub: 'max', exp: epochSeconds(-5) }) }, 3),
    refused(3, 'expired', 'The token has expired at ' + new Date(epochSeconds(-5) * 1000).toISOString() + '.'))
  assert.deepEqual(await client.closed, { code: 4401, reason: 'token expired' })
})

test('auth.refresh on a server without a JWT key is refused', async (t) => {
  const { url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'nia:static-secret' })
  const client = await connect(t, url, bearer('static-secret'))
  assert.deepEqual(await client.call('auth.refresh', { token: hs({ sub: 'nia' }) }),
    { jsonrpc: '2.0', id: 1, error: { code: -32013, message: 'Token refused', data: { reason: 'refused', message: 'this server accepts no JWTs' } } })
})

/** A JWKS endpoint on 127.0.0.1 whose keys the test changes as it goes; counts the fetches it answers. */
async function serveJwks (t: TestContext) {
  const keys: object[] = []
  let fetches = 0
  const server = createServer((request, response) => {
    fetches++
    response.setHeader('content-type', 'application/json')
    response.end(JSON.stringify({ keys }))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => { server.closeAllConnections(); server.close() })
  const { port } = server.address() as { port: number }
  return {
    url: `http://127.0.0.1:${port}/idp/jwks.json`,
    add (kid: string, alg: string, key: KeyObject) { keys.push({ ...key.export({ format: 'jwk' }), kid, alg, use: 'sig' }) },
    fetches: () => fetches
  }
}

test('WS_JWT_JWKS_URL: a key added at the endpoint is used without a restart; unknown kids refetch at most once per cooldown', async (t) => {
  const jwks = await serveJwks(t)
  const ec = ecKeys()
  jwks.add('key-1', 'RS256', rsa.publicKey)
  const { url, http } = await startServer(t, { WS_AUTH_ENABLED: true, WS_JWT_JWKS_URL: jwks.url }, { methods: [whoami] })

  const first = await connect(t, url, bearer(signJwt({ sub: 'olga' }, { alg: 'RS256', key: rsa.privateKey, kid: 'key-1' })))
  assert.deepEqual(await first.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'olga' } })
  await connect(t, url, bearer(signJwt({ sub: 'olga' }, { alg: 'RS256', key: rsa.privateKey, kid: 'key-1' })))
  assert.equal(jwks.fetches(), 1, 'a known kid is served from the cache')

  // rotation: the identity provider publishes a second key and starts signing with it
  jwks.add('key-2', 'ES256', ec.publicKey)
  const rotated = await connect(t, url, bearer(signJwt({ sub: 'pia' }, { alg: 'ES256', key: ec.privateKey, kid: 'key-2' })))
  assert.deepEqual(await rotated.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: 'pia' } })
  assert.equal(jwks.fetches(), 2)

  // a made-up kid costs one fetch; the next ones within the cooldown cost none
  for (const kid of ['made-up-1', 'made-up-2', 'made-up-3']) {
    assert.equal((await refusedUpgrade(url, bearer(signJwt({ sub: 'eve' }, { alg: 'ES256', key: ec.privateKey, kid })))).status, 401)
  }
  assert.equal(jwks.fetches(), 3)
  // no kid, or an HMAC token "signed" with a published public key: refused before any lookup
  assert.equal((await refusedUpgrade(url, bearer(signJwt({ sub: 'eve' }, { alg: 'ES256', key: ec.privateKey })))).status, 401)
  const hmacWithPublicKey = signJwt({ sub: 'eve' }, { alg: 'HS256', key: publicPem(rsa.publicKey), kid: 'key-1' })
  assert.equal((await refusedUpgrade(url, bearer(hmacWithPublicKey))).status, 401)
  assert.equal(jwks.fetches(), 3)
  // known keys still work during the cooldown
  await connect(t, url, bearer(signJwt({ sub: 'olga' }, { alg: 'RS256', key: rsa.privateKey, kid: 'key-1' })))
  assert.deepEqual(await authFailures(http), { missing: 0, invalid: 5, expired: 0, refused: 0 })
})

const badConfigurations: Array<[Record<string, string>, string]> = [
  [{ WS_AUTH_ENABLED: 'true', WS_JWT_SECRET: SECRET, WS_JWT_PUBLIC_KEY: publicPem(rsa.publicKey) },
    'env/WS_JWT_PUBLIC_KEY cannot be set with WS_JWT_SECRET: a token is verified under one key source'],
  [{ WS_AUTH_ENABLED: 'true', WS_JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----' },
    'env/WS_JWT_PUBLIC_KEY is not a PEM public key (-----BEGIN PUBLIC KEY-----)'],
  [{ WS_AUTH_ENABLED: 'true', WS_JWT_PUBLIC_KEY: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() },
    'env/WS_JWT_PUBLIC_KEY is a private key; give the public key only'],
  [{ WS_AUTH_ENABLED: 'true', WS_BEARER_TOKENS: 'tok', WS_JWT_AUDIENCE: 'hub' },
    'env/WS_JWT_AUDIENCE needs a JWT key: WS_JWT_SECRET, WS_JWT_PUBLIC_KEY or WS_JWT_JWKS_URL'],
  [{ WS_AUTH_ENABLED: 'true', WS_BEARER_TOKENS: 'tok', WS_JWT_ISSUER: 'https://idp.example' },
    'env/WS_JWT_ISSUER needs a JWT key: WS_JWT_SECRET, WS_JWT_PUBLIC_KEY or WS_JWT_JWKS_URL'],
  [{ WS_AUTH_ENABLED: 'true', WS_JWT_SECRET: 'short' }, 'env/WS_JWT_SECRET must be at least 32 characters (RFC 7518 §3.2)'],
  [{ WS_JWT_SECRET: SECRET }, 'env/WS_JWT_SECRET is set but WS_AUTH_ENABLED is false'],
  [{ WS_AUTH_ENABLED: 'true', WS_JWT_JWKS_URL: 'ftp://idp.example/jwks.json' }, 'env/WS_JWT_JWKS_URL must be an http:// or https:// URL'],
  [{ WS_AUTH_ENABLED: 'true' },
    'env/WS_BEARER_TOKENS must list at least one token when WS_AUTH_ENABLED is true and no JWT key (WS_JWT_SECRET, WS_JWT_PUBLIC_KEY or WS_JWT_JWKS_URL) is set']
]

for (const [env, message] of badConfigurations) {
  test(`${message.slice(4)}: start-up stops`, () => {
    assert.throws(() => readEnvironment(env), { message })
  })
}

test('the process exits 1 on a JWT key that does not parse, naming the variable', async (t) => {
  const child = runServer(t, { WS_HOST: '127.0.0.1', WS_PORT: '0', WS_AUTH_ENABLED: 'true', WS_JWT_PUBLIC_KEY: 'not a pem' })
  assert.equal(await child.exited, 1)
  assert.ok(child.stderr().includes('env/WS_JWT_PUBLIC_KEY is not a PEM public key'), `stderr was: ${child.stderr()}`)
})

test('JWTs never reach the log, from the header or the query, accepted or refused; the sub does', async (t) => {
  const server = await spawnServer(t, { WS_AUTH_ENABLED: 'true', WS_JWT_SECRET: SECRET, WS_LOG_LEVEL: 'trace' })
  const inQuery = hs({ sub: 'quinn' })
  const inHeader = hs({ sub: 'rosa' })
  const expired = hs({ sub: 'sam', exp: epochSeconds(-60) })
  const forged = signJwt({ sub: 'tia' }, { alg: 'none' })
  await connect(t, `${server.url}?access_token=${inQuery}`)
  await connect(t, server.url, bearer(inHeader))
  assert.equal((await refusedUpgrade(`${server.url}?access_token=${expired}`)).status, 401)
  assert.equal((await refusedUpgrade(server.url, bearer(forged))).status, 401)
  const completed = () => server.logs.filter((line) => line.msg === 'request completed' && line.res?.statusCode === 401).length
  await server.waitForLog(() => completed() === 2)
  const logged = server.logs.map((line) => JSON.stringify(line)).join('\n')
  for (const token of [inQuery, inHeader, expired, forged]) {
    // a JWT's signature is its secret part; its payload is only base64, so neither may show
    for (const part of token.split('.').filter((part) => part !== '')) assert.equal(logged.includes(part), false, 'a token appears in the log')
  }
  const users = server.logs.filter((line) => line.msg === 'token accepted').map((line) => line.user)
  assert.deepEqual(users.sort(), ['quinn', 'rosa'])
  const reasons = server.logs.filter((line) => line.msg === 'token refused').map((line) => line.reason)
  assert.deepEqual(reasons.sort(), ['expired', 'invalid'])
})

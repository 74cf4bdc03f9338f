import assert from 'node:assert/strict'
import { test } from 'node:test'
import { spawnServer } from '../helpers/child.js'
import { connect, refusedUpgrade } from '../helpers/client.js'
import { fetchMetrics, metricValue, startServer } from '../helpers/server.js'
import { whoami } from '../helpers/identity.js'

const AUTH = { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alpha-secret, beta-secret' }

// lets a test see the identity a handler receives
test('an upgrade without a token gets 401 with a bare Bearer challenge and is counted', async (t) => {
  const { url, http } = await startServer(t, AUTH)
  const refused = await refusedUpgrade(url)
  assert.equal(refused.status, 401)
  assert.equal(refused.headers['www-authenticate'], 'Bearer')
  assert.equal(metricValue(await fetchMetrics(http), 'ws_auth_failures_total{reason="missing"}'), 1)
})

const refusedCredentials: Array<[string, { url?: string, authorization?: string }]> = [
  ['a wrong token', { authorization: 'Bearer gamma-secret' }],
  ['an empty token', { authorization: 'Bearer ' }],
  ['a valid token in the Basic scheme', { authorization: 'Basic alpha-secret' }],
  ['a valid token with no scheme', { authorization: 'alpha-secret' }],
  ['a prefix of a valid token', { authorization: 'Bearer alpha' }],
  ['a wrong access_token query parameter', { url: '?access_token=gamma-secret' }],
  ['a wrong header even with a valid query token', { url: '?access_token=alpha-secret', authorization: 'Bearer gamma-secret' }]
]

for (const [name, credentials] of refusedCredentials) {
  test(`${name} gets 401 with an invalid_token challenge before any 101`, async (t) => {
    const { url, http } = await startServer(t, AUTH)
    const headers: Record<string, string> = credentials.authorization === undefined ? {} : { authorization: credentials.authorization }
    const refused = await refusedUpgrade(url + (credentials.url ?? ''), { headers })
    assert.deepEqual({ status: refused.status, challenge: refused.headers['www-authenticate'] }, { status: 401, challenge: 'Bearer error="invalid_token"' })
    assert.equal(metricValue(await fetchMetrics(http), 'ws_auth_failures_total{reason="invalid"}'), 1)
  })
}

const acceptedCredentials: Array<[string, { url?: string, authorization?: string }, string]> = [
  ['the first token in the Authorization header', { authorization: 'Bearer alpha-secret' }, 'token-0'],
  ['the second token in the Authorization header', { authorization: 'Bearer beta-secret' }, 'token-1'],
  ['the scheme in lower case (RFC 7235 §2.1)', { authorization: 'bearer beta-secret' }, 'token-1'],
  ['the access_token query parameter (RFC 6750 §2.3)', { url: '?access_token=beta-secret' }, 'token-1']
]

for (const [name, credentials, identity] of acceptedCredentials) {
  test(`${name} is accepted and its label reaches the handler as client.identity`, async (t) => {
    const { url, http } = await startServer(t, AUTH, { methods: [whoami] })
    const headers: Record<string, string> = credentials.authorization === undefined ? {} : { authorization: credentials.authorization }
    const client = await connect(t, url + (credentials.url ?? ''), { headers })
    assert.deepEqual(await client.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity } })
    assert.equal(metricValue(await fetchMetrics(http), 'ws_auth_failures_total{reason="invalid"}'), 0)
  })
}

test('with auth off the client has no identity', async (t) => {
  const { url } = await startServer(t, {}, { methods: [whoami] })
  const client = await connect(t, url)
  assert.deepEqual(await client.call('test.whoami', {}), { jsonrpc: '2.0', id: 1, result: { identity: null } })
})

test('/health and /metrics answer without a client token while /ws asks for one', async (t) => {
  const { url, http } = await startServer(t, AUTH)
  assert.equal((await fetch(`${http}/health`)).status, 200)
  const metrics = await fetch(`${http}/metrics`)
  assert.equal(metrics.status, 200)
  assert.equal(metricValue(await metrics.text(), 'ws_auth_failures_total{reason="missing"}'), 0)
  assert.equal((await refusedUpgrade(url)).status, 401)
})

test('WS_METRICS_TOKEN guards /metrics alone, and a client token does not open it', async (t) => {
  const { url, http } = await startServer(t, { ...AUTH, WS_METRICS_TOKEN: 'scrape-secret' })
  const bare = await fetch(`${http}/metrics`)
  assert.deepEqual({ status: bare.status, challenge: bare.headers.get('www-authenticate') }, { status: 401, challenge: 'Bearer' })
  const client = await fetch(`${http}/metrics`, { headers: { authorization: 'Bearer alpha-secret' } })
  assert.deepEqual({ status: client.status, challenge: client.headers.get('www-authenticate') }, { status: 401, challenge: 'Bearer error="invalid_token"' })
  const scraper = await fetch(`${http}/metrics`, { headers: { authorization: 'Bearer scrape-secret' } })
  assert.equal(scraper.status, 200)
  // scrape failures are not client auth failures
  assert.equal(metricValue(await scraper.text(), 'ws_auth_failures_total{reason="invalid"}'), 0)
  assert.equal((await fetch(`${http}/health`)).status, 200)
  await connect(t, url, { headers: { authorization: 'Bearer alpha-secret' } })
})

test('tokens never reach the log, from the header or the query, accepted or refused', async (t) => {
  const server = await spawnServer(t, {
    WS_AUTH_ENABLED: 'true', WS_BEARER_TOKENS: 'alpha-secret,beta-secret', WS_LOG_LEVEL: 'trace'
  })
  await connect(t, `${server.url}?access_token=alpha-secret&x=1`)
  await connect(t, server.url, { headers: { authorization: 'Bearer beta-secret' } })
  assert.equal((await refusedUpgrade(`${server.url}?access_token=wrong-secret`)).status, 401)
  assert.equal((await refusedUpgrade(server.url, { headers: { authorization: 'Bearer other-secret' } })).status, 401)
  // the refused requests' completion lines come last; once both are in, every earlier line is too
  const completed = () => server.logs.filter((line) => line.msg === 'request completed' && line.res?.statusCode === 401).length
  await server.waitForLog(() => completed() === 2)
  const logged = server.logs.map((line) => JSON.stringify(line)).join('\n')
  for (const secret of ['alpha-secret', 'beta-secret', 'wrong-secret', 'other-secret']) {
    assert.equal(logged.includes(secret), false, `${secret} appears in the log`)
  }
  const urls = server.logs.filter((line) => line.msg === 'incoming request').map((line) => line.req.url)
  assert.deepEqual(urls.filter((u) => u.includes('access_token')), ['/ws?access_token=[Redacted]&x=1', '/ws?access_token=[Redacted]'])
})

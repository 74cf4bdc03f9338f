import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { spawnServer } from '../helpers/child.js'
import { connect, refusedUpgrade } from '../helpers/client.js'
import { fetchMetrics, metricValue, startServer } from '../helpers/server.js'

const LIMIT = { WS_RATE_LIMIT_ENABLED: true, WS_RATE_LIMIT_MAX: 3, WS_RATE_LIMIT_WINDOW_MS: 60_000 }

async function upgrades (t: import('node:test').TestContext, url: string, count: number, headers: Record<string, string> = {}) {
  for (let i = 0; i < count; i++) {
    const client = await connect(t, url, { headers })
    client.ws.terminate()
  }
}

test('past WS_RATE_LIMIT_MAX upgrades per window an IP gets 429 with Retry-After, before any 101', async (t) => {
  const { url, http } = await startServer(t, LIMIT)
  await upgrades(t, url, 3)
  const refused = await refusedUpgrade(url)
  // the window is a minute and has just begun: ceil of the seconds left
  assert.deepEqual(
    { status: refused.status, retryAfter: refused.headers['retry-after'], limit: refused.headers['x-ratelimit-limit'], remaining: refused.headers['x-ratelimit-remaining'] },
    { status: 429, retryAfter: '60', limit: '3', remaining: '0' }
  )
  assert.equal(metricValue(await fetchMetrics(http), 'ws_rate_limited_total'), 1)
  // infrastructure endpoints are not limited: a probe never sees 429
  for (let i = 0; i < 5; i++) assert.equal((await fetch(`${http}/health`)).status, 200)
})

test('the limit is counted before auth, so failed token guesses use it up too', async (t) => {
  const { url } = await startServer(t, { ...LIMIT, WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'right' })
  for (let i = 0; i < 3; i++) {
    assert.equal((await refusedUpgrade(url, { headers: { authorization: `Bearer guess-${i}` } })).status, 401)
  }
  assert.equal((await refusedUpgrade(url, { headers: { authorization: 'Bearer right' } })).status, 429)
})

test('with rate limiting off, upgrades are not counted', async (t) => {
  const { url } = await startServer(t, { WS_RATE_LIMIT_MAX: 1 })
  await upgrades(t, url, 3)
})

test('X-Forwarded-For is ignored unless WS_TRUST_PROXY says so', async (t) => {
  const env = { WS_RATE_LIMIT_ENABLED: 'true', WS_RATE_LIMIT_MAX: '2', WS_RATE_LIMIT_WINDOW_MS: '60000' }
  const [direct, proxied] = await Promise.all([spawnServer(t, env), spawnServer(t, { ...env, WS_TRUST_PROXY: '127.0.0.1' })])

  // not trusted: every forwarded address is really 127.0.0.1, so a spoofed header buys nothing
  await upgrades(t, direct.url, 2, { 'x-forwarded-for': '10.0.0.1' })
  assert.equal((await refusedUpgrade(direct.url, { headers: { 'x-forwarded-for': '10.0.0.2' } })).status, 429)

  // trusted (as behind nginx): each client address has its own allowance
  await upgrades(t, proxied.url, 2, { 'x-forwarded-for': '10.0.0.1' })
  assert.equal((await refusedUpgrade(proxied.url, { headers: { 'x-forwarded-for': '10.0.0.1' } })).status, 429)
  await upgrades(t, proxied.url, 2, { 'x-forwarded-for': '10.0.0.2' })
})

// real processes: in-process servers would outlive the broker in t.after's order, and the two instances share nothing but Redis
const REDIS_LIMIT = { WS_RATE_LIMIT_ENABLED: 'true', WS_RATE_LIMIT_MAX: '3', WS_RATE_LIMIT_WINDOW_MS: '60000', WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis' }

test('with the Redis adapter the limit holds across two instances', async (t) => {
  const broker = await startBroker(t, 'redis')
  if (broker === undefined) return
  const env = { ...REDIS_LIMIT, WS_REDIS_URL: broker.url, WS_PUBSUB_CHANNEL: 'rate-test' }
  const [a, b, other] = await Promise.all([
    spawnServer(t, env),
    spawnServer(t, env),
    // another deployment on the same Redis (another channel) keeps its own count
    spawnServer(t, { ...env, WS_PUBSUB_CHANNEL: 'other-deployment' })
  ])
  await upgrades(t, a!.url, 2)
  await upgrades(t, b!.url, 1)
  // three in all: each instance alone has seen fewer, and still both refuse
  assert.equal((await refusedUpgrade(b!.url)).status, 429)
  assert.equal((await refusedUpgrade(a!.url)).status, 429)
  await upgrades(t, other!.url, 3)
})

test('when the Redis store is unreachable the limit fails open instead of refusing everyone', async (t) => {
  const broker = await startBroker(t, 'redis')
  if (broker === undefined) return
  const server = await spawnServer(t, { ...REDIS_LIMIT, WS_RATE_LIMIT_MAX: '1', WS_REDIS_URL: broker.url })
  await upgrades(t, server.url, 1)
  assert.equal((await refusedUpgrade(server.url)).status, 429)
  await broker.kill()
  await upgrades(t, server.url, 2)
  await server.waitForLog((line) => line.msg === 'rate-limit store unreachable: the HTTP rate limit is not enforced until it is back')
})

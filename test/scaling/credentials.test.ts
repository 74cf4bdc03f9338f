import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { waitForHealth } from '../helpers/cluster.js'
import { startServer } from '../helpers/server.js'
import { connect } from '../helpers/client.js'

const PUBSUB = {
  WS_PUBSUB_ENABLED: true,
  WS_PUBSUB_RECONNECT_MIN_MS: 20,
  WS_PUBSUB_RECONNECT_MAX_MS: 200,
  WS_PUBSUB_CONNECT_TIMEOUT_MS: 1000
}

/** Connected means the adapter subscribed and a broadcast makes the round trip through the broker. */
async function assertRoundTrip (t: Parameters<typeof connect>[0], url: string) {
  const client = await connect(t, url)
  client.send({ jsonrpc: '2.0', id: 1, method: 'broadcast', params: { text: 'through the broker' } })
  const frames = [await client.next(), await client.next()].sort((a, b) => Number('method' in a) - Number('method' in b))
  assert.deepEqual(frames[0], { jsonrpc: '2.0', id: 1, result: { published: true } })
  assert.equal(frames[1].params.text, 'through the broker')
}

test('a password in WS_REDIS_URL is used, and a wrong one leaves the instance at 503', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis', ['--requirepass', 's3cret'])
  if (!redis) return
  const good = await startServer(t, { ...PUBSUB, WS_PUBSUB_ADAPTER: 'redis' as const, WS_REDIS_URL: `redis://:s3cret@127.0.0.1:${redis.port}/0` })
  await waitForHealth(good.http, 200)
  await assertRoundTrip(t, good.url)
  const bad = await startServer(t, { ...PUBSUB, WS_PUBSUB_ADAPTER: 'redis' as const, WS_REDIS_URL: `redis://:wrong@127.0.0.1:${redis.port}/0` })
  assert.equal((await fetch(`${bad.http}/health`)).status, 503)
})

test('user and password in WS_NATS_URL are used', { timeout: 60_000 }, async (t) => {
  const nats = await startBroker(t, 'nats', ['--user', 'hub', '--pass', 'p@ss'])
  if (!nats) return
  const good = await startServer(t, { ...PUBSUB, WS_PUBSUB_ADAPTER: 'nats' as const, WS_NATS_URL: `nats://hub:p%40ss@127.0.0.1:${nats.port}` })
  await waitForHealth(good.http, 200)
  await assertRoundTrip(t, good.url)
  const bad = await startServer(t, { ...PUBSUB, WS_PUBSUB_ADAPTER: 'nats' as const, WS_NATS_URL: `nats://hub:wrong@127.0.0.1:${nats.port}` })
  assert.equal((await fetch(`${bad.http}/health`)).status, 503)
})

test('a token in WS_NATS_URL is used', { timeout: 60_000 }, async (t) => {
  const nats = await startBroker(t, 'nats', ['--auth', 'tok3n'])
  if (!nats) return
  const good = await startServer(t, { ...PUBSUB, WS_PUBSUB_ADAPTER: 'nats' as const, WS_NATS_URL: `nats://tok3n@127.0.0.1:${nats.port}` })
  await waitForHealth(good.http, 200)
  await assertRoundTrip(t, good.url)
})

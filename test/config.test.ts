import assert from 'node:assert/strict'
import { test } from 'node:test'
import { runServer, spawnServer } from './helpers/child.js'

const badValues: Array<[Record<string, string>, string]> = [
  [{ WS_PORT: '70000' }, 'env/WS_PORT must be <= 65535'],
  [{ WS_PORT: 'eighty' }, 'env/WS_PORT must be integer'],
  [{ WS_PUBSUB_ADAPTER: 'kafka' }, 'env/WS_PUBSUB_ADAPTER must be equal to one of the allowed values'],
  [{ WS_PUBSUB_ENABLED: 'maybe' }, 'env/WS_PUBSUB_ENABLED must be boolean'],
  [{ WS_HEARTBEAT_INTERVAL_MS: '10' }, 'env/WS_HEARTBEAT_INTERVAL_MS must be >= 50'],
  [{ WS_MAX_PAYLOAD_BYTES: '-1' }, 'env/WS_MAX_PAYLOAD_BYTES must be >= 64'],
  [{ WS_AUTH_ENABLED: 'true' }, 'env/WS_BEARER_TOKENS must list at least one token when WS_AUTH_ENABLED is true and no JWT key (WS_JWT_SECRET, WS_JWT_PUBLIC_KEY or WS_JWT_JWKS_URL) is set'],
  [{ WS_PUBSUB_RECONNECT_MAX_MS: '50' }, 'env/WS_PUBSUB_RECONNECT_MAX_MS must be >= WS_PUBSUB_RECONNECT_MIN_MS'],
  [{ WS_MAX_PAYLOAD_BYTES: '2097152' }, 'env/WS_MAX_PAYLOAD_BYTES must be <= WS_MAX_BUFFERED_BYTES'],
  [{ WS_MAX_BUFFERED_BYTES: '8388608', WS_MAX_TOTAL_BUFFERED_BYTES: '4194304' }, 'env/WS_MAX_BUFFERED_BYTES must be <= WS_MAX_TOTAL_BUFFERED_BYTES'],
  [{ WS_SHUTDOWN_TIMEOUT_MS: '2000' }, 'env/WS_SHUTDOWN_TIMEOUT_MS must be > WS_PUBSUB_PUBLISH_TIMEOUT_MS'],
  [{ WS_DRAIN_SPREAD_MS: '6000', WS_DRAIN_DELAY_MS: '3000' }, 'env/WS_SHUTDOWN_TIMEOUT_MS must be > WS_DRAIN_DELAY_MS + WS_DRAIN_SPREAD_MS + WS_PUBSUB_PUBLISH_TIMEOUT_MS'],
  [{ WS_DRAIN_DELAY_MS: '-1' }, 'env/WS_DRAIN_DELAY_MS must be >= 0'],
  [{ WS_FAST_PATH: 'fast' }, 'env/WS_FAST_PATH must be boolean'],
  [{ WS_LOG_LEVEL: 'loud' }, 'env/WS_LOG_LEVEL must be equal to one of the allowed values']
]

for (const [env, message] of badValues) {
  const [name, value] = Object.entries(env)[0]!
  test(`${name}=${value} stops start-up with a message naming it`, async (t) => {
    const child = runServer(t, { WS_HOST: '127.0.0.1', WS_PORT: '0', ...env })
    assert.equal(await child.exited, 1)
    assert.ok(child.stderr().includes(message), `stderr was: ${child.stderr()}`)
  })
}

test('start-up logs the pub/sub adapter and channel', async (t) => {
  const server = await spawnServer(t, { WS_PUBSUB_CHANNEL: 'tenant-a.broadcast', WS_INSTANCE_ID: 'node-1' })
  const line = await server.waitForLog((entry) => entry.msg === 'PubSub adapter configured')
  assert.deepEqual(
    { adapter: line.adapter, channel: line.channel, instanceId: line.instanceId },
    { adapter: 'local', channel: 'tenant-a.broadcast', instanceId: 'node-1' }
  )
  const health = await (await fetch(`${server.http}/health`)).json() as { instanceId: string }
  assert.equal(health.instanceId, 'node-1')
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { encodeEnvelope } from '../../src/pubsub/envelope.js'
import { SigningKeys } from '../../src/pubsub/signing-keys.js'
import { startBroker } from '../helpers/brokers.js'
import type { TestClient } from '../helpers/client.js'
import { connectMany, spawnCluster } from '../helpers/cluster.js'
import { fetchMetrics, metricValue } from '../helpers/server.js'

const OLD = 'old-key-0123456789abcdef'
const NEW = 'new-key-0123456789abcdef'
const forged = (text: string) => Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'broadcast', params: { text, from: 'a.0' } }))

/** Every frame `client` receives until the broadcast `marker`; `until` waits for one that matches. */
function collect (client: TestClient, marker: string) {
  const frames: any[] = []
  let wake = () => {}
  const done = (async () => {
    for (;;) {
      const frame = await client.next()
      frames.push(frame)
      wake()
      if (frame.method === 'broadcast' && frame.params.text === marker) return
    }
  })()
  async function until (match: (frame: any) => boolean) {
    while (!frames.some(match)) await new Promise<void>((resolve) => { wake = resolve })
  }
  const texts = () => frames.filter((frame) => frame.method === 'broadcast' && frame.params.text !== marker).map((frame) => frame.params.text)
  return { frames, done, until, texts }
}

test('with WS_PUBSUB_SECRET, unsigned and wrongly signed envelopes are dropped, and a key is rotated in two steps without losing a message', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const env = { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: redis.url }
  // rotation: a not yet upgraded instance (old), one that accepts the new key (old,new), one that signs with it (new,old)
  const [[a], [b], [c]] = await Promise.all([
    spawnCluster(t, 1, { ...env, WS_INSTANCE_ID: 'a', WS_PUBSUB_SECRET: OLD }),
    spawnCluster(t, 1, { ...env, WS_INSTANCE_ID: 'b', WS_PUBSUB_SECRET: `${OLD},${NEW}` }),
    spawnCluster(t, 1, { ...env, WS_INSTANCE_ID: 'c', WS_PUBSUB_SECRET: `${NEW},${OLD}` })
  ])
  const [alice] = await connectMany(t, a!.url, 1)
  const [bob] = await connectMany(t, b!.url, 1)
  const [carol] = await connectMany(t, c!.url, 1)

  const plain = new Redis(redis.url).on('error', () => {})
  t.after(() => plain.disconnect())
  const envelope = (text: string) => ({ origin: 'a', target: { kind: 'all' as const }, payload: forged(text) })
  // reached all three instances, and all three dropped them
  assert.equal(await plain.publish('websocket.broadcast', encodeEnvelope(envelope('unsigned, forged from'))), 3)
  assert.equal(await plain.publish('websocket.broadcast', encodeEnvelope(envelope('wrong key'), new SigningKeys(['not-our-key-0123456789']))), 3)

  const seen = [alice!, bob!, carol!].map((client) => collect(client, 'marker'))
  // each waits for its ack, so the broker has them in this order
  for (const [i, text] of ['signed old by a', 'signed old by b', 'signed new by c'].entries()) {
    const sender = [alice!, bob!, carol!][i]!
    sender.send({ jsonrpc: '2.0', id: i, method: 'broadcast', params: { text } })
    await seen[i]!.until((frame) => frame.id === i)
    assert.deepEqual(seen[i]!.frames.find((frame) => frame.id === i), { jsonrpc: '2.0', id: i, result: { published: true } })
  }
  bob!.send({ jsonrpc: '2.0', method: 'broadcast', params: { text: 'marker' } })
  await Promise.all(seen.map((collector) => collector.done))

  assert.deepEqual(seen.map((collector) => collector.texts()), [
    // a does not hold the new key: c signed with it too early, which is why a key is moved first only once every instance accepts it
    ['signed old by a', 'signed old by b'],
    ['signed old by a', 'signed old by b', 'signed new by c'],
    ['signed old by a', 'signed old by b', 'signed new by c']
  ])
  const dropped = await Promise.all([a, b, c].map(async (server) => metricValue(await fetchMetrics(server!.http), 'ws_pubsub_errors_total{reason="bad_signature"}')))
  assert.deepEqual(dropped, [3, 2, 2])
})

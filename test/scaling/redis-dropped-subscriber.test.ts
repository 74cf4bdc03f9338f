import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Redis } from 'ioredis'
import { startBroker } from '../helpers/brokers.js'
import type { TestClient } from '../helpers/client.js'
import { broadcastAndTally, connectMany, spawnCluster, waitForHealth } from '../helpers/cluster.js'
import { fetchMetrics, metricValue } from '../helpers/server.js'

const UNAVAILABLE = { code: -32001, message: 'Broadcast not confirmed: pub/sub unavailable' }
const MAX_BROADCASTS = 3_000

/** Every frame `client` receives until the broadcast `marker`, sorted by kind. */
function collect (client: TestClient, marker: string) {
  const texts = new Set<string>()
  const answers = new Map<number, unknown>()
  const resyncs: any[] = []
  let wake = () => {}
  const done = (async () => {
    for (;;) {
      const frame = await client.next()
      if (frame.method === 'resync') resyncs.push(frame)
      else if (frame.method === 'broadcast') {
        if (frame.params.text === marker) return
        texts.add(frame.params.text)
      } else answers.set(frame.id, frame)
      wake()
    }
  })()
  async function answered (count: number) {
    while (answers.size < count) await new Promise<void>((resolve) => { wake = resolve })
  }
  return { texts, answers, resyncs, done, answered }
}

test('redis drops every subscriber for one oversized message: no broadcast is acknowledged and lost, /health is 503 until re-subscribed, clients are told to resync', { timeout: 60_000 }, async (t) => {
  // a pub/sub client past 256 KiB of pending output is disconnected at once (the default is 32 MiB)
  const redis = await startBroker(t, 'redis', ['--client-output-buffer-limit', 'pubsub 256kb 0 0'])
  if (!redis) return
  const servers = await spawnCluster(t, 2, {
    WS_PUBSUB_ENABLED: 'true',
    WS_PUBSUB_ADAPTER: 'redis',
    WS_REDIS_URL: redis.url,
    // a re-subscription about half a second later leaves a 503 that a 25 ms poll sees
    WS_PUBSUB_RECONNECT_MIN_MS: '600',
    WS_PUBSUB_RECONNECT_MAX_MS: '1000'
  })
  const [sender, ...receivers] = [...await connectMany(t, servers[0]!.url, 2), ...await connectMany(t, servers[1]!.url, 2)]
  const everyone = [sender!, ...receivers]
  const seen = everyone.map((client) => collect(client, 'marker'))
  const plain = new Redis(redis.url).on('error', () => {})
  t.after(() => plain.disconnect())

  // broadcasts in batches, each sent once the last one is answered, until both instances are back; from the
  // oversized publish on, batches of a hundred keep many in flight while Redis drops the subscribers
  const pumping = { recovered: false }
  let sent = 0
  let droppedAt = 0
  let oversized: Promise<number> | undefined
  const pump = (async () => {
    while (!pumping.recovered && sent < MAX_BROADCASTS) {
      const batch = oversized === undefined ? 10 : 100
      for (let i = 0; i < batch; i++, sent++) sender!.send({ jsonrpc: '2.0', id: sent, method: 'broadcast', params: { text: `b-${sent}` } })
      if (sent === 30) {
        droppedAt = Date.now()
        // 1 MiB to each of the two subscribers: Redis closes both
        oversized = plain.publish('websocket.broadcast', Buffer.alloc(1024 * 1024, 'x'))
      }
      await seen[0]!.answered(sent)
    }
  })()
  const degraded = []
  for (const server of servers) degraded.push(await waitForHealth(server.http, 503, 5_000))
  for (const server of servers) await waitForHealth(server.http, 200, 10_000)
  assert.equal(await oversized, 2)
  const recoveredAt = Date.now()
  pumping.recovered = true
  await pump
  sender!.send({ jsonrpc: '2.0', method: 'broadcast', params: { text: 'marker' } })
  await Promise.all(seen.map((collector) => collector.done))

  const answers = [...seen[0]!.answers.values()] as Array<{ id: number, result?: unknown, error?: unknown }>
  const published = answers.filter((answer) => answer.result !== undefined)
  const refused = answers.filter((answer) => answer.error !== undefined)
  assert.equal(answers.length, sent)
  for (const answer of published) assert.deepEqual(answer, { jsonrpc: '2.0', id: answer.id, result: { published: true } })
  for (const answer of refused) assert.deepEqual(answer, { jsonrpc: '2.0', id: answer.id, error: UNAVAILABLE })
  // Redis counts the sender's own subscription among the receivers, so an acknowledgement means the sender's instance
  // got it: its clients miss none. The other instance, re-subscribing a little later than the sender's came back,
  // misses what was acknowledged meanwhile, after the drop; that is the window its clients' resync (below) names
  const missing = (collectors: typeof seen, id: number) => collectors.some((collector) => !collector.texts.has(`b-${id}`))
  const [onSender, elsewhere] = [seen.slice(0, 2), seen.slice(2)]
  const ackedAndLost = published.filter((answer) => missing(onSender, answer.id) || (answer.id < 30 && missing(elsewhere, answer.id)))
  const announced = published.filter((answer) => answer.id >= 30 && missing(elsewhere, answer.id))
  t.diagnostic(`${sent} broadcasts: ${published.length} published, ${refused.length} answered -32001, ${ackedAndLost.length} acknowledged and lost, ` +
    `${announced.length} missed by the other instance while it re-subscribed (told by resync); 200 again ${recoveredAt - droppedAt} ms after the drop`)
  assert.deepEqual(ackedAndLost, [])
  assert.ok(refused.length > 0, 'the window while unsubscribed was hit')

  for (const body of degraded) assert.deepEqual({ status: body.status, pubsub: body.pubsub }, { status: 'degraded', pubsub: { adapter: 'redis', channel: 'websocket.broadcast', connected: false } })
  // every client, on both instances, heard once that it may have missed messages since the drop
  for (const collector of seen) {
    assert.equal(collector.resyncs.length, 1)
    const [resync] = collector.resyncs
    assert.ok(resync.params.since >= droppedAt && resync.params.since <= recoveredAt, `since ${resync.params.since} not in [${droppedAt}, ${recoveredAt}]`)
    assert.deepEqual(resync, { jsonrpc: '2.0', method: 'resync', params: { reason: 'pubsub_reconnected', since: resync.params.since, scope: 'all', channels: [] } })
  }
  const metrics = await fetchMetrics(servers[0]!.http)
  const unconfirmed = metricValue(metrics, 'ws_pubsub_errors_total{reason="unconfirmed"}') ?? 0
  t.diagnostic(`of the -32001 answers, ${unconfirmed} were PUBLISHes Redis took with 0 receivers`)
  assert.equal(unconfirmed + (metricValue(metrics, 'ws_pubsub_errors_total{reason="publish_failed"}') ?? 0), refused.length)
  assert.equal(metricValue(metrics, 'ws_pubsub_resyncs_total'), 1)

  // delivery restored across both instances
  const after = await broadcastAndTally(everyone, everyone, 8, 'after')
  assert.deepEqual({ lost: after.lost, duplicated: after.duplicated, delivered: after.delivered }, { lost: 0, duplicated: 0, delivered: 32 })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect as natsConnect } from 'nats'
import { startBroker } from '../helpers/brokers.js'
import { assertNineClientsOnThreeInstances, broadcastAndTally, connectMany, spawnCluster } from '../helpers/cluster.js'
import { fetchMetrics, metricValue } from '../helpers/server.js'

test('50 broadcasts from clients on three nats instances reach all nine clients exactly once', { timeout: 60_000 }, async (t) => {
  const nats = await startBroker(t, 'nats')
  if (!nats) return
  await assertNineClientsOnThreeInstances(t, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'nats', WS_NATS_URL: nats.url }, 'nats')
})

test('garbage published on the nats subject is counted, logged once and does not break delivery', { timeout: 60_000 }, async (t) => {
  const nats = await startBroker(t, 'nats')
  if (!nats) return
  const subject = 'garbage.test'
  const servers = await spawnCluster(t, 2, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'nats', WS_NATS_URL: nats.url, WS_PUBSUB_CHANNEL: subject })
  const clients = [...await connectMany(t, servers[0]!.url, 1), ...await connectMany(t, servers[1]!.url, 1)]

  const plain = await natsConnect({ servers: `127.0.0.1:${nats.port}` })
  t.after(() => plain.close())
  for (const message of ['not an envelope', '{"v":1,"o":"x","t":{"kind":"all"}}\n', '{"v":99,"o":"x","t":{"kind":"all"}}\n{}']) {
    plain.publish(subject, Buffer.from(message))
  }
  plain.publish(subject, new Uint8Array(0))
  await plain.flush()

  const tally = await broadcastAndTally(clients, clients, 10, 'after-garbage')
  assert.deepEqual({ lost: tally.lost, duplicated: tally.duplicated, delivered: tally.delivered }, { lost: 0, duplicated: 0, delivered: 20 })
  for (const server of servers) {
    assert.equal(metricValue(await fetchMetrics(server.http), 'ws_pubsub_errors_total{reason="malformed"}'), 4)
    await server.waitForLog((line) => line.msg === 'dropped a malformed pub/sub message')
    const warnings = server.logs.filter((line) => line.msg === 'dropped a malformed pub/sub message')
    assert.deepEqual(warnings.map((line) => [line.reason, line.droppedSinceLastLog]), [['malformed envelope: no header', 0]])
  }
})

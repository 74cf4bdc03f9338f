import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { Redis } from 'ioredis'
import { connect as natsConnect } from 'nats'
import { startBroker, type BrokerKind } from '../helpers/brokers.js'
import { broadcastAndTally, connectMany, spawnCluster } from '../helpers/cluster.js'
import { fetchMetrics, metricValue } from '../helpers/server.js'

const MAX_PAYLOAD_BYTES = 4096
const header = (target: object = { kind: 'all' }) => JSON.stringify({ v: 1, o: 'intruder', t: target }) + '\n'
const notification = (params: unknown) => JSON.stringify({ jsonrpc: '2.0', method: 'broadcast', params })

/** What a process that can reach the broker might publish, each with the reason it must be dropped for. */
const HOSTILE: Array<[string, Buffer]> = [
  ['invalid_utf8', Buffer.concat([Buffer.from(header() + '{"jsonrpc":"2.0","method":"broadcast","params":{"text":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}}')])],
  ['too_large', Buffer.from(header() + notification({ text: 'x'.repeat(MAX_PAYLOAD_BYTES + 1024), from: 'node0.0' }))],
  ['malformed', Buffer.from(header() + 'hello, not JSON')],
  ['malformed', Buffer.from('no header at all')],
  ['not_notification', Buffer.from(header() + '{"jsonrpc":"2.0","method":"broadcast","params":{"text":"with an id"},"id":7}')],
  ['not_notification', Buffer.from(header() + `[${notification({ text: 'a batch' })}]`)],
  ['not_notification', Buffer.from(header() + '{"jsonrpc":"1.0","method":"broadcast","params":{"text":"old version"}}')],
  ['not_notification', Buffer.from(header() + '{"jsonrpc":"2.0","method":"broadcast","params":"a string"}')],
  ['not_notification', Buffer.from(header() + '{"jsonrpc":"2.0","result":{"published":true},"id":1}')],
  ['not_notification', Buffer.from(header({ kind: 'command', instance: 'node0' }) + '{"no":"op"}')]
]

async function publishHostile (t: TestContext, kind: BrokerKind, url: string, port: number, channel: string) {
  if (kind === 'redis') {
    // the broker stops before this client: its reconnect attempts are expected
    const plain = new Redis(url).on('error', () => {})
    t.after(() => plain.disconnect())
    for (const [, message] of HOSTILE) assert.equal(await plain.publish(channel, message), 2)
    return
  }
  const plain = await natsConnect({ servers: `127.0.0.1:${port}` })
  t.after(() => plain.close())
  for (const [, message] of HOSTILE) plain.publish(channel, message)
  await plain.flush()
}

for (const kind of ['redis', 'nats'] as const) {
  test(`${kind}: hostile envelopes are dropped and counted by reason; every client stays connected and gets the next broadcast`, { timeout: 60_000 }, async (t) => {
    const broker = await startBroker(t, kind)
    if (!broker) return
    const channel = 'hostile.test'
    const servers = await spawnCluster(t, 2, {
      WS_PUBSUB_ENABLED: 'true',
      WS_PUBSUB_ADAPTER: kind,
      [kind === 'redis' ? 'WS_REDIS_URL' : 'WS_NATS_URL']: broker.url,
      WS_PUBSUB_CHANNEL: channel,
      WS_MAX_PAYLOAD_BYTES: String(MAX_PAYLOAD_BYTES)
    })
    const clients = (await Promise.all(servers.map((server) => connectMany(t, server.url, 2)))).flat()
    await publishHostile(t, kind, broker.url, broker.port, channel)

    // the broker keeps one order: had any hostile message reached a client, or closed one, this would show it
    const tally = await broadcastAndTally(clients, clients, 8, 'after-hostile')
    assert.deepEqual({ lost: tally.lost, duplicated: tally.duplicated, delivered: tally.delivered, resyncs: tally.resyncs }, { lost: 0, duplicated: 0, delivered: 32, resyncs: [] })
    for (const client of clients) assert.equal(client.ws.readyState, client.ws.OPEN)

    const expected = { malformed: 2, invalid_utf8: 1, too_large: 1, not_notification: 6, bad_signature: 0, publish_failed: 0, unconfirmed: 0 }
    for (const server of servers) {
      const metrics = await fetchMetrics(server.http)
      const counted = Object.fromEntries(Object.keys(expected).map((reason) => [reason, metricValue(metrics, `ws_pubsub_errors_total{reason="${reason}"}`)]))
      assert.deepEqual(counted, expected)
      // 8 broadcasts and the marker; none of the ten hostile ones
      assert.equal(metricValue(metrics, 'ws_pubsub_received_total'), 9)
      const warning = await server.waitForLog((line) => line.msg === 'dropped a malformed pub/sub message')
      assert.deepEqual([warning.reason, warning.droppedSinceLastLog], ['malformed envelope: payload is not valid UTF-8', 0])
    }
  })
}

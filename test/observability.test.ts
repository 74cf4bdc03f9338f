import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fetchMetrics, metricValue, startServer } from './helpers/server.js'
import { connect } from './helpers/client.js'

test('/health reports status, instance, connections and the adapter', async (t) => {
  const { url, http } = await startServer(t, { WS_INSTANCE_ID: 'edge-7', WS_PUBSUB_CHANNEL: 'chat' })
  const client = await connect(t, url)
  await client.call('self.reply', { text: 'x' })
  const response = await fetch(`${http}/health`)
  assert.equal(response.status, 200)
  assert.deepEqual(await response.json(), {
    status: 'ok',
    instanceId: 'edge-7',
    connections: 1,
    pubsub: { adapter: 'local', channel: 'chat', connected: true }
  })
})

test('/metrics exposes every ws_* series in Prometheus text', async (t) => {
  const { http } = await startServer(t)
  const response = await fetch(`${http}/metrics`)
  assert.equal(response.status, 200)
  assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/)
  const text = await response.text()
  const types: Record<string, string> = {
    ws_connections: 'gauge',
    ws_connections_total: 'counter',
    ws_messages_received_total: 'counter',
    ws_messages_sent_total: 'counter',
    ws_rpc_errors_total: 'counter',
    ws_rpc_duration_seconds: 'histogram',
    ws_pubsub_published_total: 'counter',
    ws_pubsub_received_total: 'counter',
    ws_pubsub_errors_total: 'counter',
    ws_pubsub_resyncs_total: 'counter',
    ws_pubsub_connected: 'gauge',
    ws_auth_failures_total: 'counter',
    ws_rate_limited_total: 'counter',
    ws_slow_consumer_disconnects_total: 'counter'
  }
  for (const [name, type] of Object.entries(types)) assert.ok(text.includes(`# TYPE ${name} ${type}\n`), `${name} is a ${type}`)
  assert.ok(text.includes('# TYPE process_cpu_seconds_total counter'), 'default process metrics')
  assert.ok(text.includes('# TYPE http_request_duration_seconds histogram'), 'HTTP route metrics')
  assert.equal(metricValue(text, 'ws_pubsub_connected'), 1)
})

test('the counters follow the traffic', async (t) => {
  const { url, http } = await startServer(t)
  const alice = await connect(t, url)
  const bob = await connect(t, url)
  await alice.call('self.reply', { text: 'a' })
  alice.send({ jsonrpc: '2.0', id: 2, method: 'broadcast', params: { text: 'b' } })
  await bob.next()
  await alice.next()
  await alice.next()
  alice.sendRaw('not json')
  await alice.next()

  const text = await fetchMetrics(http)
  assert.deepEqual({
    connections: metricValue(text, 'ws_connections'),
    accepted: metricValue(text, 'ws_connections_total'),
    received: metricValue(text, 'ws_messages_received_total'),
    sent: metricValue(text, 'ws_messages_sent_total'),
    parseErrors: metricValue(text, 'ws_rpc_errors_total{code="-32700"}'),
    published: metricValue(text, 'ws_pubsub_published_total'),
    pubsubReceived: metricValue(text, 'ws_pubsub_received_total'),
    replies: metricValue(text, 'ws_rpc_duration_seconds_count{method="self.reply"}'),
    broadcasts: metricValue(text, 'ws_rpc_duration_seconds_count{method="broadcast"}')
  }, {
    connections: 2,
    accepted: 2,
    received: 3,
    // echo, two broadcast copies, the broadcast result, the parse error
    sent: 5,
    parseErrors: 1,
    published: 1,
    pubsubReceived: 1,
    replies: 1,
    broadcasts: 1
  })
})

test('unknown method names share one label, so a flood of names cannot grow the series', async (t) => {
  const { url, http } = await startServer(t)
  const client = await connect(t, url)
  for (let i = 0; i < 20; i++) {
    client.send({ jsonrpc: '2.0', id: i, method: `random.${i}`, params: {} })
    await client.next()
  }
  const text = await fetchMetrics(http)
  assert.equal(metricValue(text, 'ws_rpc_duration_seconds_count{method="__unknown__"}'), 20)
  assert.equal(metricValue(text, 'ws_rpc_errors_total{code="-32601"}'), 20)
  assert.ok(!text.includes('random.'), 'no series names a random method')
})

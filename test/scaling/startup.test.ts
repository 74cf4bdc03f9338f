import assert from 'node:assert/strict'
import { test } from 'node:test'
import { freePort, startBroker } from '../helpers/brokers.js'
import { spawnServer } from '../helpers/child.js'
import { broadcastAndTally, connectMany, FAST_RECOVERY_ENV, waitForHealth } from '../helpers/cluster.js'

for (const kind of ['redis', 'nats'] as const) {
  test(`with ${kind} unreachable at start-up the server still listens, reports 503 and connects once the broker appears`, { timeout: 60_000 }, async (t) => {
    const port = await freePort()
    const url = kind === 'redis' ? `redis://127.0.0.1:${port}/0` : `nats://127.0.0.1:${port}`
    const server = await spawnServer(t, {
      ...FAST_RECOVERY_ENV,
      WS_LOG_LEVEL: 'info',
      WS_INSTANCE_ID: 'early',
      WS_PUBSUB_ENABLED: 'true',
      WS_PUBSUB_ADAPTER: kind,
      [kind === 'redis' ? 'WS_REDIS_URL' : 'WS_NATS_URL']: url
    })
    const configured = await server.waitForLog((line) => line.msg === 'PubSub adapter configured')
    assert.deepEqual(
      { adapter: configured.adapter, channel: configured.channel, instanceId: configured.instanceId, connected: configured.connected },
      { adapter: kind, channel: 'websocket.broadcast', instanceId: 'early', connected: false }
    )
    const body = await waitForHealth(server.http, 503)
    assert.deepEqual(body, { status: 'degraded', instanceId: 'early', connections: 0, pubsub: { adapter: kind, channel: 'websocket.broadcast', connected: false } })
    const [client] = await connectMany(t, server.url, 1)
    assert.deepEqual(await client!.call('broadcast', { text: 'too early' }, 1), { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'Broadcast not confirmed: pub/sub unavailable' } })

    const broker = await startBroker(t, kind, [], port)
    if (!broker) return
    await waitForHealth(server.http, 200)
    await server.waitForLog((line) => line.msg === 'PubSub broker connected')
    const tally = await broadcastAndTally([client!], [client!], 3, 'late')
    assert.deepEqual({ lost: tally.lost, duplicated: tally.duplicated, delivered: tally.delivered }, { lost: 0, duplicated: 0, delivered: 3 })
  })
}

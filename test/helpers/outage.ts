import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import type { Broker } from './brokers.js'
import type { ServerProcess } from './child.js'
import { broadcastAndTally, connectMany, FAST_RECOVERY_ENV, spawnCluster, waitForHealth } from './cluster.js'
import { connect } from './client.js'
import { fetchMetrics, metricValue } from './server.js'

const UNAVAILABLE = { code: -32001, message: 'Broadcast not confirmed: pub/sub unavailable' }

/**
 * The outage story the issue asks for, run against a private broker: three instances with a client each,
 * the broker killed, the instances degraded but serving, the broker back on the same port, delivery restored.
 * Returns what was observed, for the report.
 */
export async function runOutage (t: TestContext, broker: Broker, env: Record<string, string>) {
  const servers = await spawnCluster(t, 3, { ...FAST_RECOVERY_ENV, WS_PUBSUB_ENABLED: 'true', ...env })
  try {
    return await outageSteps(t, broker, env, servers)
  } catch (err) {
    // a failure here is about timing between processes: their own account of it is the evidence
    for (const server of servers) {
      const lines = server.logs.filter((line) => !/^(incoming request|request completed)$/.test(line.msg)).slice(-12)
      t.diagnostic(`instance ${server.port}:\n${lines.map((line) => JSON.stringify(line)).join('\n')}`)
    }
    throw err
  }
}

async function outageSteps (t: TestContext, broker: Broker, env: Record<string, string>, servers: ServerProcess[]) {
  const clients = (await Promise.all(servers.map((server) => connectMany(t, server.url, 1)))).flat()
  const before = await broadcastAndTally(clients, clients, 5, 'before')
  assert.deepEqual({ lost: before.lost, duplicated: before.duplicated, delivered: before.delivered }, { lost: 0, duplicated: 0, delivered: 15 })

  const killedAt = Date.now()
  await broker.kill()
  for (const server of servers) {
    const body = await waitForHealth(server.http, 503)
    assert.equal((body.pubsub as { connected: boolean }).connected, false)
    assert.equal(body.status, 'degraded')
    assert.equal(metricValue(await fetchMetrics(server.http), 'ws_pubsub_connected'), 0)
  }
  const degradedAfterMs = Date.now() - killedAt

  // still serving: local calls answer, new connections are accepted
  const [alice] = clients
  assert.deepEqual(await alice!.call('self.reply', { text: 'still here' }, 'r1'), { jsonrpc: '2.0', id: 'r1', result: { text: 'still here' } })
  const late = await connect(t, servers[1]!.url)
  assert.deepEqual(await late.call('self.reply', { text: 'new' }, 'r2'), { jsonrpc: '2.0', id: 'r2', result: { text: 'new' } })
  // a broadcast now is refused, not acknowledged and lost
  assert.deepEqual(await alice!.call('broadcast', { text: 'during outage' }, 'b1'), { jsonrpc: '2.0', id: 'b1', error: UNAVAILABLE })
  // log lines travel a pipe and may trail the WebSocket answer, so they are awaited, not looked up
  const refused = await servers[0]!.waitForLog((line) => line.msg === 'broadcast not published')
  assert.match(refused.err.message, /^(redis|nats) broker unavailable$/)
  for (const server of servers) await server.waitForLog((line) => line.msg === 'PubSub broker connection lost; broadcasts answer -32001 until it is back')

  const restartedAt = Date.now()
  await broker.restart()
  for (const server of servers) {
    const body = await waitForHealth(server.http, 200)
    assert.deepEqual(body.pubsub, { adapter: env.WS_PUBSUB_ADAPTER, channel: 'websocket.broadcast', connected: true })
    assert.equal(metricValue(await fetchMetrics(server.http), 'ws_pubsub_connected'), 1)
  }
  const recoveredAfterMs = Date.now() - restartedAt

  // across every instance again, exactly once; the refused broadcast never shows up
  const everyone = [...clients, late]
  const after = await broadcastAndTally(everyone, everyone, 12, 'after')
  assert.deepEqual({ lost: after.lost, duplicated: after.duplicated, delivered: after.delivered }, { lost: 0, duplicated: 0, delivered: 48 })
  // pub/sub missed what was published while it was away, and says so to each client; a stream resumes instead
  const reasons = after.resyncs.map((frame) => (frame as { params: { reason: string } }).params.reason)
  assert.deepEqual(reasons, env.WS_PUBSUB_ADAPTER === 'redis-streams' ? [] : Array(everyone.length).fill('pubsub_reconnected'))
  for (const server of servers) await server.waitForLog((line) => line.msg === 'PubSub broker reconnected')
  return { degradedAfterMs, recoveredAfterMs }
}

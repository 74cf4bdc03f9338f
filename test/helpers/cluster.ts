import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { spawnServer, type ServerProcess } from './child.js'
import { connect, type TestClient } from './client.js'
import { fetchMetrics, metricValue } from './server.js'

/** Short reconnect and publish timeouts, so an outage test sees the whole cycle in a second or two. */
export const FAST_RECOVERY_ENV = {
  WS_PUBSUB_RECONNECT_MIN_MS: '20',
  WS_PUBSUB_RECONNECT_MAX_MS: '200',
  WS_PUBSUB_CONNECT_TIMEOUT_MS: '1000',
  WS_PUBSUB_PUBLISH_TIMEOUT_MS: '500'
}

/** `count` real server processes sharing one broker and channel, each waiting until its adapter is configured. */
export async function spawnCluster (t: TestContext, count: number, env: Record<string, string>): Promise<ServerProcess[]> {
  return Promise.all(Array.from({ length: count }, (_, i) => spawnInstance(t, { WS_INSTANCE_ID: `node${i}`, ...env })))
}

/**
 * One instance of a cluster, waiting until its adapter is configured. Given `WS_PORT` and `WS_INSTANCE_ID`, it is an
 * instance that exited started again, as a process manager would.
 */
export async function spawnInstance (t: TestContext, env: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServer(t, { WS_LOG_LEVEL: 'info', ...env })
  const configured = await server.waitForLog((line) => line.msg === 'PubSub adapter configured')
  if (configured.connected !== true) throw new Error(`instance ${server.port} started without its broker`)
  return server
}

export async function connectMany (t: TestContext, url: string, count: number): Promise<TestClient[]> {
  const clients: TestClient[] = []
  // one after another, so a round-robin balancer sees them in a known order
  for (let i = 0; i < count; i++) clients.push(await connect(t, url))
  return clients
}

export interface Tally {
  /** Broadcasts a client should have received and did not, summed over clients. */
  lost: number
  /** Extra copies received, summed over clients. */
  duplicated: number
  /** Broadcast notifications received, summed over clients. */
  delivered: number
  /** Every non-broadcast frame the senders got back (their acks), in arrival order per sender. */
  acks: unknown[]
  /** The `from` client id of each broadcast, as the receivers saw it. */
  senders: Set<string>
  /** `resync` notifications received meanwhile, by any client. */
  resyncs: unknown[]
}

/**
 * Sends `count` broadcasts round-robin from `senders`, waits for every ack, then sends a marker broadcast.
 * The broker keeps one order for everyone and each ack means the broker had the message, so a client that
 * has the marker has everything sent before it: what it lacks then was lost, not late.
 */
export async function broadcastAndTally (senders: TestClient[], receivers: TestClient[], count: number, tag: string): Promise<Tally> {
  const texts = Array.from({ length: count }, (_, i) => `${tag}-${i}`)
  const marker = `${tag}-marker`
  const acks: unknown[] = []
  let acked: () => void = () => {}
  const allAcked = new Promise<void>((resolve) => { acked = resolve })
  const collected = new Map<TestClient, string[]>()
  const fromIds = new Set<string>()
  const resyncs: unknown[] = []

  // reads each client's frames until the marker, keeping broadcasts apart from responses
  const clients = [...new Set([...senders, ...receivers])]
  const readers = clients.map(async (client) => {
    const got: string[] = []
    collected.set(client, got)
    for (;;) {
      const frame = await client.next()
      if (frame.method === 'resync') {
        resyncs.push(frame)
      } else if (frame.method !== 'broadcast') {
        acks.push(frame)
        if (acks.length === count) acked()
      } else if (frame.params.text === marker) {
        return
      } else {
        got.push(frame.params.text)
        fromIds.add(frame.params.from)
      }
    }
  })

  texts.forEach((text, i) => senders[i % senders.length]!.send({ jsonrpc: '2.0', id: `${tag}:${i}`, method: 'broadcast', params: { text } }))
  await Promise.race([allAcked, Promise.all(readers)])
  senders[0]!.send({ jsonrpc: '2.0', method: 'broadcast', params: { text: marker } })
  await Promise.all(readers)

  let lost = 0
  let duplicated = 0
  let delivered = 0
  for (const client of receivers) {
    const got = collected.get(client)!
    delivered += got.length
    const seen = new Map<string, number>()
    for (const text of got) seen.set(text, (seen.get(text) ?? 0) + 1)
    for (const text of texts) {
      const n = seen.get(text) ?? 0
      if (n === 0) lost++
      else duplicated += n - 1
    }
  }
  return { lost, duplicated, delivered, acks, senders: fromIds, resyncs }
}

/**
 * The cross-instance check every adapter passes: three instances on `env`, three clients on each, 50 broadcasts
 * from clients spread over all three. Asserts each reached all nine clients exactly once and was acknowledged,
 * and each instance took every envelope off the broker once.
 */
export async function assertNineClientsOnThreeInstances (t: TestContext, env: Record<string, string>, tag: string): Promise<void> {
  const servers = await spawnCluster(t, 3, env)
  const clients = (await Promise.all(servers.map((server) => connectMany(t, server.url, 3)))).flat()
  const tally = await broadcastAndTally(clients, clients, 50, tag)
  t.diagnostic(`delivered ${tally.delivered}, lost ${tally.lost}, duplicated ${tally.duplicated}, acks ${tally.acks.length}`)
  assert.deepEqual({ lost: tally.lost, duplicated: tally.duplicated, delivered: tally.delivered }, { lost: 0, duplicated: 0, delivered: 450 })
  assert.equal(tally.acks.length, 50)
  for (const ack of tally.acks) assert.deepEqual(ack, { jsonrpc: '2.0', id: (ack as { id: string }).id, result: { published: true } })
  // senders sat on all three instances: the ids carry the instance id
  assert.deepEqual([...new Set([...tally.senders].map((id) => id.split('.')[0]))].sort(), ['node0', 'node1', 'node2'])
  for (const server of servers) {
    const metrics = await fetchMetrics(server.http)
    // every instance received all 51 envelopes (50 + the marker) from the broker, once each
    assert.equal(metricValue(metrics, 'ws_pubsub_received_total'), 51)
    assert.equal(metricValue(metrics, 'ws_pubsub_connected'), 1)
  }
}

/** Polls `/health` every 25 ms until it answers `status`; the poll is the event wait, the deadline bounds it. */
export async function waitForHealth (http: string, status: number, deadlineMs = 10_000): Promise<Record<string, unknown>> {
  const started = Date.now()
  for (;;) {
    try {
      const response = await fetch(`${http}/health`)
      const body = await response.json() as Record<string, unknown>
      if (response.status === status) return body
    } catch {}
    if (Date.now() - started > deadlineMs) throw new Error(`${http}/health did not answer ${status} within ${deadlineMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
}

import type { TestContext } from 'node:test'
import { spawnServer, type ServerProcess } from './child.js'
import { connect, type TestClient } from './client.js'

/** Short reconnect and publish timeouts, so an outage test sees the whole cycle in a second or two. */
export const FAST_RECOVERY_ENV = {
  WS_PUBSUB_RECONNECT_MIN_MS: '20',
  WS_PUBSUB_RECONNECT_MAX_MS: '200',
  WS_PUBSUB_CONNECT_TIMEOUT_MS: '1000',
  WS_PUBSUB_PUBLISH_TIMEOUT_MS: '500'
}

/** `count` real server processes sharing one broker and channel, each waiting until its adapter is configured. */
export async function spawnCluster (t: TestContext, count: number, env: Record<string, string>): Promise<ServerProcess[]> {
  const servers = await Promise.all(Array.from({ length: count }, (_, i) => spawnServer(t, { WS_INSTANCE_ID: `node${i}`, WS_LOG_LEVEL: 'info', ...env })))
  for (const server of servers) {
    const configured = await server.waitForLog((line) => line.msg === 'PubSub adapter configured')
    if (configured.connected !== true) throw new Error(`instance ${server.port} started without its broker`)
  }
  return servers
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

  // reads each client's frames until the marker, keeping broadcasts apart from responses
  const clients = [...new Set([...senders, ...receivers])]
  const readers = clients.map(async (client) => {
    const got: string[] = []
    collected.set(client, got)
    for (;;) {
      const frame = await client.next()
      if (frame.method !== 'broadcast') {
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
  return { lost, duplicated, delivered, acks, senders: fromIds }
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

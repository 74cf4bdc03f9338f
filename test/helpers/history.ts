import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startBroker, type Broker } from './brokers.js'
import type { ServerProcess } from './child.js'
import { FAST_RECOVERY_ENV, spawnCluster } from './cluster.js'
import type { Ack, Positioned } from './follower.js'

export type RedisAdapterName = 'redis' | 'redis-streams'
/** Every adapter that keeps history on a broker. */
export type HistoryAdapterName = RedisAdapterName | 'nats'
export const HISTORY_ADAPTERS: readonly HistoryAdapterName[] = ['redis', 'redis-streams', 'nats']

/** The private broker an adapter needs: redis-server, or nats-server with JetStream on a store of its own. */
export async function startHistoryBroker (t: TestContext, adapter: HistoryAdapterName): Promise<Broker | undefined> {
  if (adapter !== 'nats') return startBroker(t, 'redis')
  const store = await mkdtemp(join(tmpdir(), 'hub-js-'))
  t.after(() => rm(store, { recursive: true, force: true }))
  return startBroker(t, 'nats', ['-js', '-sd', store])
}

/** An epoch as the stores make them: 6 random bytes in base64url. */
export const EPOCH = /^[A-Za-z0-9_-]{8}$/

/**
 * `count` instances on `adapter` with channel history on: 10,000 kept per channel (more than any test publishes, so
 * nothing is trimmed unless a test asks), fast reconnects, and a publish timeout a loaded 2-core box stays under.
 */
export function spawnHistoryCluster (t: TestContext, broker: Broker, adapter: HistoryAdapterName, count: number, extra: Record<string, string> = {}): Promise<ServerProcess[]> {
  return spawnCluster(t, count, { ...historyEnv(broker, adapter), ...extra })
}

/** The environment of `spawnHistoryCluster`'s instances, to start one of them again. */
export function historyEnv (broker: Broker, adapter: HistoryAdapterName): Record<string, string> {
  return {
    ...FAST_RECOVERY_ENV,
    WS_PUBSUB_ENABLED: 'true',
    WS_PUBSUB_ADAPTER: adapter,
    ...(adapter === 'nats' ? { WS_NATS_URL: broker.url } : { WS_REDIS_URL: broker.url }),
    WS_HISTORY_SIZE: '10000',
    WS_PUBSUB_PUBLISH_TIMEOUT_MS: '5000'
  }
}

/** What each acknowledged publish's message looks like to a subscriber, by offset. */
export function expectedByOffset (channel: string, acks: Iterable<Ack>, from: string): Map<number, Positioned> {
  const byOffset = new Map<number, Positioned>()
  for (const ack of acks) {
    assert.equal(byOffset.has(ack.offset), false, `offset ${ack.offset} acknowledged twice`)
    byOffset.set(ack.offset, { channel, data: ack.data, from, offset: ack.offset, epoch: ack.epoch })
  }
  return byOffset
}

/** The offsets of `messages`, which must all carry `epoch`. */
export function offsetsOf (messages: Positioned[], epoch: string): number[] {
  for (const message of messages) assert.equal(message.epoch, epoch, `offset ${message.offset} carries epoch ${message.epoch}, not ${epoch}`)
  return messages.map((message) => message.offset)
}

/** Diagnostics for a failure between processes: each instance's last lines, without the request noise. */
export function tailLogs (t: TestContext, servers: ServerProcess[], lines = 12) {
  for (const server of servers) {
    const tail = server.logs.filter((line) => !/^(incoming request|request completed)$/.test(line.msg)).slice(-lines)
    t.diagnostic(`instance ${server.port}:\n${tail.map((line) => JSON.stringify(line)).join('\n')}`)
  }
}

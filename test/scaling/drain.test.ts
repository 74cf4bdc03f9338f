import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { setTimeout as sleep } from 'node:timers/promises'
import { startBroker } from '../helpers/brokers.js'
import type { ServerProcess } from '../helpers/child.js'
import { refusedUpgrade } from '../helpers/client.js'
import { follow, type Follower } from '../helpers/follower.js'
import { spawnHistoryCluster, tailLogs } from '../helpers/history.js'
import { startNginx } from '../helpers/nginx.js'
import { Subscriber } from '../helpers/subscriber.js'

const CLIENTS = 2_000
const CHANNELS = 20
/** Clients opened at once while the test sets up; one process holds all of them (about 2,000 sockets). */
const CONNECT_CONCURRENCY = 50
const DRAIN_DELAY_MS = 1_500
const DRAIN_SPREAD_MS = 3_000
const SHUTDOWN_TIMEOUT_MS = 12_000
/** One publish every 20 ms over the channels in turn: 50 a second, so each client gets 2.5 messages a second. */
const PUBLISH_EVERY_MS = 20
/** Bounds the publisher: 100 s at that pace, far past the test's own timeout. */
const MAX_PUBLISHES = 5_000
const QUARTER_MS = 250
const SECOND_MS = 1_000
const BACK_DEADLINE_MS = 30_000

const channelOf = (i: number) => `drain.${i % CHANNELS}`

/** The most of `times` that fall in any window of `windowMs` (each window ending at one of them). */
function peakIn (times: number[], windowMs: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let peak = 0
  for (let first = 0, last = 0; last < sorted.length; last++) {
    while (sorted[first]! <= sorted[last]! - windowMs) first++
    peak = Math.max(peak, last - first + 1)
  }
  return peak
}

/** Publishes to the channels in turn at a steady pace until stopped, keeping each channel's last acknowledged offset. */
class Publisher {
  readonly lastOffset = new Map<string, number>()
  readonly refused: unknown[] = []
  readonly done: Promise<void>
  #isStopped = false

  constructor (follower: Follower) {
    this.done = this.#run(follower)
  }

  async stop () {
    this.#isStopped = true
    await this.done
  }

  async #run (follower: Follower) {
    const start = performance.now()
    for (let n = 0; n < MAX_PUBLISHES && !this.#isStopped; n++) {
      const channel = channelOf(n)
      const answer = await follower.call('publish', { channel, data: n })
      if (answer.result !== undefined) this.lastOffset.set(channel, answer.result.offset)
      else this.refused.push(answer.error)
      // paced, not as fast as it can: the drain must happen in a steady stream, not under a flood
      const waitMs = start + (n + 1) * PUBLISH_EVERY_MS - performance.now()
      if (waitMs > 0) await sleep(waitMs)
    }
  }
}

/** Counts the subscribers' closes, so a phase can wait for as many as the drained instance held. */
class Closes {
  count = 0
  #wake: (() => void) | undefined

  readonly onClose = () => {
    this.count++
    this.#wake?.()
  }

  async reach (count: number, deadlineMs: number) {
    const deadline = performance.now() + deadlineMs
    while (this.count < count) {
      const leftMs = deadline - performance.now()
      if (leftMs <= 0) throw new Error(`${this.count} of ${count} clients closed within ${deadlineMs} ms`)
      // unref'd: a pending deadline must not hold the test process open once the count is reached
      await Promise.race([new Promise<void>((resolve) => { this.#wake = resolve }), sleep(leftMs, undefined, { ref: false })])
    }
  }
}

async function connectionsOf (server: ServerProcess): Promise<number> {
  const health = await (await fetch(`${server.http}/health`)).json() as { connections: number }
  return health.connections
}

interface Phase {
  /** Clients the instance held when it was signalled, the test's own left out. */
  held: number
  drained: number
  exitCode: number | string
  exitMs: number
  peakPerQuarter: number
  peakPerSecond: number
  /** From the first reconnect accepted to the last. */
  spanMs: number
  failedAttempts: number
}

/**
 * SIGTERM to `server`, then waits for it to exit and for each of its subscribers to be back elsewhere. `others` is
 * how many of its connections are not subscribers (the test's own probes).
 */
async function drain (server: ServerProcess, subscribers: Subscriber[], closes: Closes, others: number,
  duringDelay: () => Promise<void> = async () => {}): Promise<Phase> {
  const held = await connectionsOf(server) - others
  const failedBefore = subscribers.reduce((sum, subscriber) => sum + subscriber.failedAttempts, 0)
  closes.count = 0
  const signalled = performance.now()
  server.proc.kill('SIGTERM')
  await server.waitForLog((line) => line.msg === 'draining')
  await duringDelay()
  const exitCode = await server.exited
  const exitMs = performance.now() - signalled
  await closes.reach(held, BACK_DEADLINE_MS)
  await Promise.all(subscribers.map((subscriber) => subscriber.whenBack()))
  const comebacks = subscribers.flatMap((subscriber) => subscriber.comebacks.filter((comeback) => comeback.closedAt >= signalled))
  const opens = comebacks.map((comeback) => comeback.openedAt)
  return {
    held,
    drained: new Set(subscribers.filter((subscriber) => subscriber.comebacks.some((comeback) => comeback.closedAt >= signalled))).size,
    exitCode,
    exitMs,
    peakPerQuarter: peakIn(opens, QUARTER_MS),
    peakPerSecond: peakIn(opens, SECOND_MS),
    spanMs: Math.max(...opens) - Math.min(...opens),
    failedAttempts: subscribers.reduce((sum, subscriber) => sum + subscriber.failedAttempts, 0) - failedBefore
  }
}

function describe (name: string, phase: Phase): string {
  const share = (count: number) => `${count} (${Math.round((100 * count) / phase.drained)} %)`
  return `${name}: ${phase.drained} clients drained; reconnects accepted over ${Math.round(phase.spanMs)} ms, ` +
    `peak ${share(phase.peakPerQuarter)} in a quarter second, ${share(phase.peakPerSecond)} in a second; ` +
    `${phase.failedAttempts} refused attempts; exit ${phase.exitCode} after ${Math.round(phase.exitMs)} ms`
}

test(`a drained instance closes its clients over ${DRAIN_SPREAD_MS} ms; all ${CLIENTS} come back through nginx and recover every message`, { timeout: 120_000 }, async (t: TestContext) => {
  const broker = await startBroker(t, 'redis')
  if (!broker) return
  const drainEnv = (delayMs: number, spreadMs: number) => ({
    WS_DRAIN_DELAY_MS: String(delayMs),
    WS_DRAIN_SPREAD_MS: String(spreadMs),
    WS_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_TIMEOUT_MS)
  })
  // the same settings but for the drain: one instance spreads its closes, one closes all at once, one stays
  const servers = (await Promise.all([
    spawnHistoryCluster(t, broker, 'redis', 1, { WS_INSTANCE_ID: 'spread', ...drainEnv(DRAIN_DELAY_MS, DRAIN_SPREAD_MS) }),
    spawnHistoryCluster(t, broker, 'redis', 1, { WS_INSTANCE_ID: 'sudden', ...drainEnv(0, 0) }),
    spawnHistoryCluster(t, broker, 'redis', 1, { WS_INSTANCE_ID: 'stay', ...drainEnv(0, 0) })
  ])).flat()
  const [spread, sudden, stay] = servers as [ServerProcess, ServerProcess, ServerProcess]
  // two connections per client (its own and the upstream's), and room for the reconnects
  const nginx = await startNginx(t, servers.map((server) => server.port), 'round-robin', { workerConnections: 3 * CLIENTS })
  if (!nginx) return

  const closes = new Closes()
  const subscribers = Array.from({ length: CLIENTS }, (_, i) => new Subscriber(nginx.url, channelOf(i), closes.onClose))
  t.after(() => { for (const subscriber of subscribers) subscriber.stop() })
  try {
    for (let i = 0; i < CLIENTS; i += CONNECT_CONCURRENCY) {
      await Promise.all(subscribers.slice(i, i + CONNECT_CONCURRENCY).map((subscriber) => subscriber.start()))
    }
    const publisher = new Publisher(await follow(t, stay.url))
    // a client on the drained instance that asks while the delay runs
    const probe = await follow(t, spread.url)
    const held = await Promise.all(servers.map(connectionsOf))
    assert.equal(held.reduce((sum, count) => sum + count, 0), CLIENTS + 2)
    // every channel has moved on before the drain, so each recovery has a position to continue from
    await Promise.all(Array.from({ length: CHANNELS }, (_, i) => subscribers[i]!.until(subscribers[i]!.startOffset + 2, 10_000)))

    const spreadPhase = await drain(spread, subscribers, closes, 1, async () => {
      const [ready, health, upgrade, echo] = await Promise.all([
        fetch(`${spread.http}/health/ready`).then(async (response) => ({ status: response.status, body: await response.json() })),
        fetch(`${spread.http}/health`).then((response) => response.status),
        refusedUpgrade(spread.url),
        probe.call('self.reply', { text: 'still served' })
      ])
      assert.deepEqual(ready, { status: 503, body: { status: 'stopping' } })
      assert.equal(health, 200)
      assert.equal(upgrade.status, 503)
      assert.deepEqual(echo.result, { text: 'still served' })
      assert.equal(closes.count, 0, 'answered before the first client was closed')
    })
    assert.equal((await probe.client.closed).code, 1001)
    const suddenPhase = await drain(sudden, subscribers, closes, 0)

    // round robin still picked the draining instance; its 503s went on to the next one (proxy_next_upstream)
    const refusedByDrained = spread.logs.filter((line) => line.msg === 'request completed' && line.res?.statusCode === 503).length
    t.diagnostic(`upgrades the draining instance answered 503 and nginx passed on: ${refusedByDrained}`)
    t.diagnostic(describe(`spread ${DRAIN_SPREAD_MS} ms after a ${DRAIN_DELAY_MS} ms delay`, spreadPhase))
    t.diagnostic(describe('spread 0 (all at once)', suddenPhase))

    await publisher.stop()
    // a last message on every channel: a client that has it has everything before it, or lost it
    const marker = await follow(t, stay.url)
    const finalOffset = new Map<string, number>()
    for (let i = 0; i < CHANNELS; i++) {
      const answer = await marker.call('publish', { channel: channelOf(i), data: 'end' })
      finalOffset.set(channelOf(i), answer.result.offset)
    }
    await Promise.all(subscribers.map((subscriber) => subscriber.until(finalOffset.get(subscriber.channel)!, BACK_DEADLINE_MS)))

    // each subscriber must have seen exactly the offsets after its first answer, up to the marker, in order
    let lost = 0
    let extra = 0
    let outOfOrder = 0
    let firstBad: string | undefined
    for (const subscriber of subscribers) {
      const first = subscriber.startOffset + 1
      const last = finalOffset.get(subscriber.channel)!
      const seen = new Set(subscriber.offsets)
      for (let offset = first; offset <= last; offset++) if (!seen.has(offset)) lost++
      extra += subscriber.offsets.length - seen.size + [...seen].filter((offset) => offset < first || offset > last).length
      outOfOrder += subscriber.offsets.filter((offset, i) => i > 0 && offset <= subscriber.offsets[i - 1]!).length
      if (firstBad === undefined && subscriber.offsets.some((offset, i) => offset !== first + i)) {
        firstBad = `${subscriber.channel} from ${first} to ${last}: ${JSON.stringify(subscriber.offsets)}, comebacks ${JSON.stringify(subscriber.comebacks)}`
      }
    }
    const comebacks = subscribers.flatMap((subscriber) => subscriber.comebacks)
    const published = [...finalOffset.values()].reduce((sum, offset) => sum + offset, 0)
    t.diagnostic(`${published} messages published over ${CHANNELS} channels; ${comebacks.length} comebacks, ` +
      `${comebacks.filter((comeback) => comeback.recovered).length} recovered; lost ${lost}, repeated ${extra}, out of order ${outOfOrder}`)

    // the spread kept the reconnects apart; both instances exited cleanly within the timeout
    assert.ok(spreadPhase.peakPerQuarter <= spreadPhase.drained / 2, describe('spread', spreadPhase))
    assert.deepEqual([spreadPhase.exitCode, suddenPhase.exitCode], [0, 0])
    assert.ok(spreadPhase.exitMs < SHUTDOWN_TIMEOUT_MS, `exited after ${spreadPhase.exitMs} ms`)
    // every client of either instance came back and recovered, with nothing lost, repeated or reordered
    assert.deepEqual({ spread: spreadPhase.drained, sudden: suddenPhase.drained }, { spread: spreadPhase.held, sudden: suddenPhase.held })
    assert.deepEqual(new Set(comebacks.map((comeback) => `${comeback.code} ${comeback.recovered}`)), new Set(['1001 true']))
    assert.deepEqual({ lost, extra, outOfOrder, foreignEpochs: subscribers.flatMap((subscriber) => subscriber.foreignEpochs) },
      { lost: 0, extra: 0, outOfOrder: 0, foreignEpochs: [] }, firstBad)
    assert.deepEqual(publisher.refused, [])
    assert.equal(await connectionsOf(stay), CLIENTS + 2)
  } catch (err) {
    tailLogs(t, servers)
    throw err
  }
})

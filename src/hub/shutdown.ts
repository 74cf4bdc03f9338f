import { setTimeout as sleep } from 'node:timers/promises'
import { CloseCode } from '../close-codes.js'
import type { Client } from './client.js'
import type { Hub } from './hub.js'

/** A spread drain closes its next batch this often: a quarter second then holds at most three batches. */
const DRAIN_TICK_MS = 100

export interface ShutdownOptions {
  /** The whole shutdown, drain included, from its start; then the clients still open are terminated. */
  timeoutMs: number
  /** How long readiness answers 503 and upgrades are refused, with every client still served, before any is closed. */
  drainDelayMs: number
  /** The time over which the clients are closed, batch by batch; 0: all at once. */
  drainSpreadMs: number
}

/**
 * Ends the hub's service within `timeoutMs` of the drain's start, in two steps.
 *
 * `drain()`: readiness says 503 and upgrades are refused at once, so load balancers send new clients elsewhere;
 * after `drainDelayMs` the clients are closed with 1001 in batches spread over `drainSpreadMs`, so they do not all
 * reconnect to the other instances in the same second. Until its batch comes, a client is served as usual.
 *
 * `close()` (the hub's part of `app.close()`): the drain, unless it already ran, then every client still connected
 * is stopped as a batch is.
 *
 * A batch is stopped in an order that keeps one promise: its clients are no longer read, what they sent before is
 * answered (a broadcast waits for its broker), and only then do they get 1001. A request a client gets no answer to
 * was therefore not run, and is safe to send again elsewhere.
 */
export class Shutdown {
  readonly #hub: Hub
  readonly #options: ShutdownOptions
  #drained: Promise<void> | undefined
  #deadline = 0

  constructor (hub: Hub, options: ShutdownOptions) {
    this.#hub = hub
    this.#options = options
  }

  /** Starts the drain, or joins the one under way; resolves once the last batch got its 1001. */
  drain (): Promise<void> {
    this.#drained ??= this.#drain()
    return this.#drained
  }

  async close (): Promise<void> {
    await this.drain()
    const hub = this.#hub
    hub.isStopping = true
    // clients that joined after the drain took its list, or that a host closed and have not gone yet
    for (const client of hub.clients()) client.pauseReading()
    const isSettled = await hub.inFlight.settled(this.#remainingMs())
    if (!isSettled) hub.log.warn({ inFlight: hub.inFlight.count }, 'shutdown timed out with requests in flight')
    await hub.closeAll(CloseCode.GoingAway, 'server shutting down', this.#remainingMs())
  }

  async #drain (): Promise<void> {
    const hub = this.#hub
    const { timeoutMs, drainDelayMs, drainSpreadMs } = this.#options
    this.#deadline = performance.now() + timeoutMs
    hub.isDraining = true
    hub.log.info({ connections: hub.size, drainDelayMs, drainSpreadMs }, 'draining')
    if (drainDelayMs > 0) await sleep(drainDelayMs, undefined, { ref: false })
    const clients = [...hub.clients()]
    const batches = drainSpreadMs === 0 ? 1 : Math.max(1, Math.min(clients.length, Math.floor(drainSpreadMs / DRAIN_TICK_MS)))
    const start = performance.now()
    const closing: Array<Promise<void>> = []
    for (let b = 0; b < batches; b++) {
      const waitMs = start + (b * drainSpreadMs) / batches - performance.now()
      if (waitMs > 0) await sleep(waitMs, undefined, { ref: false })
      const batch = clients.slice(Math.floor((b * clients.length) / batches), Math.floor(((b + 1) * clients.length) / batches))
      closing.push(this.#closeBatch(batch.filter((client) => client.isOpen)))
    }
    await Promise.all(closing)
  }

  async #closeBatch (batch: Client[]): Promise<void> {
    for (const client of batch) {
      client.isLeaving = true
      client.pauseReading()
    }
    const isSettled = await this.#hub.inFlight.settledFor(batch, this.#remainingMs())
    if (!isSettled) this.#hub.log.warn({ clients: batch.length }, 'drain closed clients with requests in flight')
    for (const client of batch) client.close(CloseCode.GoingAway, 'server shutting down')
  }

  #remainingMs (): number {
    return Math.max(0, this.#deadline - performance.now())
  }
}

import type { Envelope } from '../pubsub/envelope.js'
import { newEpoch } from './epoch.js'
import type { Position } from './position.js'
import type { HistoryPage, HistoryPolicy, HistoryQuery, HistoryStore, StoredPublication } from './history-store.js'

interface Ring {
  epoch: string
  offset: number
  publications: StoredPublication[]
  expiresAt: number
}

/**
 * History for the `local` adapter: a ring per channel in this process, so a client that reconnects to the same
 * single instance recovers what it missed. A channel's ring is dropped `ttlMs` after its last publish (its next
 * publish or read starts a new epoch); a sweep every few seconds frees idle ones.
 */
export class MemoryHistory implements HistoryStore {
  readonly #rings = new Map<string, Ring>()
  readonly #deliver: (envelope: Envelope) => void
  #sweeper: NodeJS.Timeout | undefined

  /** `deliver` hands the positioned envelope to this instance's hub, as the adapter does with any envelope. */
  constructor (deliver: (envelope: Envelope) => void) {
    this.#deliver = deliver
  }

  async append (channel: string, policy: HistoryPolicy, envelope: Envelope): Promise<Position> {
    const ring = this.#ring(channel, policy)
    const position = { offset: ++ring.offset, epoch: ring.epoch }
    ring.publications.push({ offset: position.offset, payload: envelope.payload })
    if (ring.publications.length > policy.size) ring.publications.splice(0, ring.publications.length - policy.size)
    ring.expiresAt = Date.now() + policy.ttlMs
    this.#deliver({ ...envelope, position })
    return position
  }

  async read (channel: string, policy: HistoryPolicy, query: HistoryQuery): Promise<HistoryPage> {
    const ring = this.#ring(channel, policy)
    const after = query.since?.epoch === ring.epoch ? query.since.offset : 0
    const kept = ring.publications.filter((publication) => publication.offset > after)
    const publications = query.reverse ? kept.reverse().slice(0, query.limit) : kept.slice(0, query.limit)
    return { epoch: ring.epoch, offset: ring.offset, first: ring.publications[0]?.offset ?? ring.offset + 1, publications }
  }

  async close () {
    clearInterval(this.#sweeper)
    this.#rings.clear()
  }

  /** The channel's live ring, a new epoch when it has none or it expired. */
  #ring (channel: string, policy: HistoryPolicy): Ring {
    const now = Date.now()
    let ring = this.#rings.get(channel)
    if (ring === undefined || ring.expiresAt <= now) {
      ring = { epoch: newEpoch(), offset: 0, publications: [], expiresAt: now + policy.ttlMs }
      this.#rings.set(channel, ring)
      this.#sweeper ??= setInterval(() => this.#sweep(), 5_000).unref()
    }
    return ring
  }

  #sweep () {
    const now = Date.now()
    for (const [channel, ring] of this.#rings) {
      if (ring.expiresAt <= now) this.#rings.delete(channel)
    }
  }
}

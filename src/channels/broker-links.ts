import type { Logger } from '../logger.js'
import type { PubSubAdapter } from '../pubsub/adapter.js'

interface Link {
  /** Local subscriptions holding the channel, pending ones included. */
  holders: number
  /** Settles when the adapter confirmed the current subscription (or failed to). */
  ready: Promise<void>
  /** The adapter calls for this channel, one after the other: an unsubscribe never overtakes a subscribe. */
  tail: Promise<void>
}

const settled = Promise.resolve()

/**
 * The adapter's per-channel subscriptions, counted: `adapter.subscribe` as the first local subscriber arrives
 * (those who come while it is in flight await the same promise), `adapter.unsubscribe` as the last one leaves.
 * A subscribe arriving while an unsubscribe is in flight is queued behind it, so the broker ends up subscribed.
 */
export class BrokerLinks {
  readonly #adapter: PubSubAdapter
  readonly #log: Logger
  readonly #observe: (seconds: number) => void
  readonly #links = new Map<string, Link>()

  constructor (adapter: PubSubAdapter, log: Logger, observe: (seconds: number) => void) {
    this.#adapter = adapter
    this.#log = log
    this.#observe = observe
  }

  /** Holds the channel; resolves once the broker delivers its envelopes here, rejects when it did not confirm. */
  hold (channel: string): Promise<void> {
    let link = this.#links.get(channel)
    if (link === undefined) {
      link = { holders: 0, ready: settled, tail: settled }
      this.#links.set(channel, link)
    }
    if (link.holders++ === 0 && this.#adapter.subscribe !== undefined) {
      link.ready = link.tail.then(() => this.#subscribe(channel))
      link.tail = link.ready.catch(() => {})
    }
    return link.ready
  }

  /** Lets go of one hold; the last one unsubscribes the adapter. */
  release (channel: string) {
    const link = this.#links.get(channel)
    if (link === undefined || --link.holders > 0) return
    if (this.#adapter.unsubscribe === undefined) {
      this.#links.delete(channel)
      return
    }
    const tail: Promise<void> = link.tail.then(() => this.#unsubscribe(channel)).then(() => {
      // forget the link unless someone subscribed again meanwhile
      if (link.holders === 0 && link.tail === tail) this.#links.delete(channel)
    })
    link.tail = tail
  }

  /** Channels this instance holds (what an adapter re-subscribes after a reconnect). */
  channels (): string[] {
    return [...this.#links].filter(([, link]) => link.holders > 0).map(([channel]) => channel)
  }

  /** Resolves once every adapter call queued so far has settled. */
  async settle (): Promise<void> {
    await Promise.all([...this.#links.values()].map((link) => link.tail))
  }

  async #subscribe (channel: string) {
    const started = performance.now()
    try {
      await this.#adapter.subscribe!(channel)
    } finally {
      this.#observe((performance.now() - started) / 1000)
    }
  }

  async #unsubscribe (channel: string) {
    try {
      await this.#adapter.unsubscribe!(channel)
    } catch (err) {
      // the broker keeps sending it; the hub has no subscriber left to deliver to, so nothing reaches a client
      this.#log.warn({ err, channel }, 'channel unsubscribe failed')
    }
  }
}

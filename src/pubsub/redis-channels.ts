import type { Redis } from 'ioredis'
import { BrokerUnavailableError } from './broker-unavailable.js'
import { refusalOf } from './redis-client.js'

interface Waiter {
  resolve: () => void
  reject: (err: Error) => void
}

/**
 * The per-channel Redis channels one subscriber connection holds. Requests made in the same event-loop turn go
 * out as one SUBSCRIBE and one UNSUBSCRIBE, so a wave of first subscribers (a reconnect storm of clients) costs
 * Redis a command per turn, not one per channel. Redis answers a connection's commands in order, so a channel
 * subscribed in one turn and unsubscribed in the next ends unsubscribed.
 */
export class RedisChannels {
  readonly #prefix: string
  readonly #client: () => Redis | undefined
  readonly #isUp: () => boolean
  /** Broker channels wanted now; what a reconnect subscribes again. */
  readonly #held = new Set<string>()
  #toSubscribe = new Map<string, Waiter[]>()
  #toUnsubscribe = new Map<string, Waiter[]>()
  #scheduled = false

  /** `isUp`: the connection is ready and its global subscription confirmed. */
  constructor (prefix: string, client: () => Redis | undefined, isUp: () => boolean) {
    this.#prefix = prefix
    this.#client = client
    this.#isUp = isUp
  }

  /** The Redis channel that carries one hub channel's envelopes. */
  key (channel: string): string {
    return `${this.#prefix}:ch:${channel}`
  }

  /** Every Redis channel held, for the SUBSCRIBE after a reconnect. */
  held (): string[] {
    return [...this.#held]
  }

  subscribe (channel: string): Promise<void> {
    // nothing is held while down: a rejected subscribe leaves no trace for the reconnect to revive
    if (!this.#isUp()) return Promise.reject(new BrokerUnavailableError('redis'))
    const key = this.key(channel)
    this.#held.add(key)
    return this.#queue(this.#toSubscribe, key)
  }

  unsubscribe (channel: string): Promise<void> {
    const key = this.key(channel)
    this.#held.delete(key)
    // a connection that is down holds no subscription, and the reconnect will not ask for this one
    if (!this.#isUp()) return Promise.resolve()
    return this.#queue(this.#toUnsubscribe, key)
  }

  #queue (queue: Map<string, Waiter[]>, key: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const waiters = queue.get(key)
      if (waiters === undefined) queue.set(key, [{ resolve, reject }])
      else waiters.push({ resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.#flush())
      }
    })
  }

  #flush () {
    this.#scheduled = false
    const subscribing = this.#toSubscribe
    const unsubscribing = this.#toUnsubscribe
    this.#toSubscribe = new Map()
    this.#toUnsubscribe = new Map()
    // each key ends as it is held now: asked for and dropped in the same turn sends nothing
    const subscribe = [...subscribing.keys()].filter((key) => this.#held.has(key))
    const unsubscribe = [...unsubscribing.keys()].filter((key) => !this.#held.has(key))
    const client = this.#client()
    if (subscribe.length > 0) {
      const sent = client !== undefined && this.#isUp() ? client.subscribe(...subscribe) : Promise.reject(new BrokerUnavailableError('redis'))
      sent.then(() => settle(subscribing), (err: Error) => {
        // the connection dropped before Redis answered: these were never confirmed, so they are not held either
        for (const key of subscribe) this.#held.delete(key)
        settle(subscribing, client === undefined ? err : refusalOf(client, err) as Error)
      })
    } else {
      settle(subscribing)
    }
    if (unsubscribe.length > 0 && client !== undefined && this.#isUp()) {
      // a dropped connection unsubscribed everything anyway
      client.unsubscribe(...unsubscribe).then(() => settle(unsubscribing), () => settle(unsubscribing))
    } else {
      settle(unsubscribing)
    }
  }
}

function settle (queue: Map<string, Waiter[]>, err?: Error) {
  for (const waiters of queue.values()) {
    for (const waiter of waiters) {
      if (err === undefined) waiter.resolve()
      else waiter.reject(err)
    }
  }
}

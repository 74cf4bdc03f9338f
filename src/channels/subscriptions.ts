import type { Client } from '../hub/client.js'
import type { CatchUp } from './catch-up.js'

/** One client's subscription to one channel, from the request until it leaves. */
export class Subscription {
  readonly client: Client
  readonly channel: string
  /** The client receives the channel's join/leave notifications. */
  presence: boolean
  /** Receiving the channel's messages: the broker confirmed the channel on this instance. */
  isActive = false
  /** It holds the channel's broker subscription (taken once allowed). */
  isHeld = false
  /** Removed (unsubscribe or close) before its subscribe finished. */
  isCancelled = false
  /** The whole subscribe flow; an unsubscribe waits for it, so answers and presence writes keep their order. */
  done: Promise<void> = Promise.resolve()
  /** Set while the channel's live messages reach it through a history catch-up instead of as a recipient. */
  catchUp: CatchUp | undefined

  constructor (client: Client, channel: string, presence: boolean) {
    this.client = client
    this.channel = channel
    this.presence = presence
  }
}

/** This instance's subscriptions, by client (limits, close) and by channel (delivery). Synchronous, no I/O. */
export class Subscriptions {
  readonly #byClient = new Map<Client, Map<string, Subscription>>()
  readonly #subscribers = new Map<string, Set<Client>>()
  readonly #watchers = new Map<string, Set<Client>>()
  #active = 0

  /** Channels with an active local subscriber (`ws_channels`). */
  get channelCount (): number {
    return this.#subscribers.size
  }

  /** Active (client, channel) pairs (`ws_subscriptions`). */
  get size (): number {
    return this.#active
  }

  get (client: Client, channel: string): Subscription | undefined {
    return this.#byClient.get(client)?.get(channel)
  }

  /** Subscriptions of the client, pending ones included: what the per-connection cap counts. */
  countOf (client: Client): number {
    return this.#byClient.get(client)?.size ?? 0
  }

  of (client: Client): Subscription[] {
    return [...(this.#byClient.get(client)?.values() ?? [])]
  }

  /** A pending subscription: counted against the cap, not yet delivered to. */
  add (client: Client, channel: string, presence: boolean): Subscription {
    let channels = this.#byClient.get(client)
    if (channels === undefined) {
      channels = new Map()
      this.#byClient.set(client, channels)
    }
    const subscription = new Subscription(client, channel, presence)
    channels.set(channel, subscription)
    return subscription
  }

  /** Counted and a presence watcher; with `receiving`, also a recipient of the channel's messages (else see `receive`). */
  activate (subscription: Subscription, receiving = true) {
    subscription.isActive = true
    this.#active++
    if (receiving) addTo(this.#subscribers, subscription.channel, subscription.client)
    if (subscription.presence) addTo(this.#watchers, subscription.channel, subscription.client)
  }

  /** An active subscription becomes a recipient of the channel's messages. */
  receive (subscription: Subscription) {
    addTo(this.#subscribers, subscription.channel, subscription.client)
  }

  /** An active subscription stops being a recipient, for a while (a history catch-up takes its messages). */
  stopReceiving (subscription: Subscription) {
    removeFrom(this.#subscribers, subscription.channel, subscription.client)
  }

  /** Turns join/leave notifications on for a subscription that has them off. */
  watch (subscription: Subscription) {
    if (subscription.presence) return
    subscription.presence = true
    if (subscription.isActive) addTo(this.#watchers, subscription.channel, subscription.client)
  }

  /** False when it was already gone. */
  remove (subscription: Subscription): boolean {
    const { client, channel } = subscription
    const channels = this.#byClient.get(client)
    if (channels?.get(channel) !== subscription) return false
    channels.delete(channel)
    if (channels.size === 0) this.#byClient.delete(client)
    if (subscription.isActive) {
      this.#active--
      removeFrom(this.#subscribers, channel, client)
      removeFrom(this.#watchers, channel, client)
    } else {
      subscription.isCancelled = true
    }
    return true
  }

  /** Who gets a channel envelope here: every active subscriber, or only those watching presence. */
  recipients (channel: string, presence: boolean): ReadonlySet<Client> | undefined {
    return (presence ? this.#watchers : this.#subscribers).get(channel)
  }
}

function addTo (index: Map<string, Set<Client>>, channel: string, client: Client) {
  let clients = index.get(channel)
  if (clients === undefined) {
    clients = new Set()
    index.set(channel, clients)
  }
  clients.add(client)
}

function removeFrom (index: Map<string, Set<Client>>, channel: string, client: Client) {
  const clients = index.get(channel)
  if (clients === undefined) return
  clients.delete(client)
  if (clients.size === 0) index.delete(channel)
}

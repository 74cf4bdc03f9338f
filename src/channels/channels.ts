import type { Client } from '../hub/client.js'
import type { Logger } from '../logger.js'
import type { WsMetrics } from '../metrics.js'
import type { PubSubAdapter } from '../pubsub/adapter.js'
import type { Fanout } from '../pubsub/fanout.js'
import { LocalPresence } from '../pubsub/local-presence.js'
import type { PresenceMember, PresenceStore } from '../pubsub/presence.js'
import type { Envelope } from '../pubsub/envelope.js'
import type { Position } from '../pubsub/position.js'
import { notAllowed, presenceUnavailable, RpcError, subscribeUnavailable, tooManyChannels } from '../rpc/rpc-error.js'
import type { Authorize, ChannelAction } from './authorize.js'
import { isReservedKey } from '../limits/user-connections.js'
import { BrokerLinks } from './broker-links.js'
import { CatchUp } from './catch-up.js'
import { ChannelHistory, type Recovery } from './history.js'
import { messageNotification, presenceNotification } from './notification.js'
import { Subscriptions, type Subscription } from './subscriptions.js'

export interface ChannelsOptions {
  fanout: Fanout
  adapter: PubSubAdapter
  metrics: WsMetrics
  log: Logger
  maxChannelsPerConnection: number
  /** `server`: clients may not publish (WS_CHANNEL_PUBLISH). */
  channelPublish: 'any' | 'server'
  authorize?: Authorize | undefined
  history: ChannelHistory
}

/**
 * A subscribe's answer about history, and `release`: called once the answer is out (the subscriber's live messages
 * are held until then, so that none arrives before the publications it carries).
 */
export interface Subscribed extends Recovery {
  release: () => void
}

/** Where a published message sits in its channel's history: offset 0 and epoch '' when the channel keeps none. */
export interface Published {
  offset: number
  epoch: string
}

export interface PresenceResult {
  channel: string
  count: number
  clients: PresenceMember[]
}

const ignore = () => {}
const NOT_KEPT: Published = Object.freeze({ offset: 0, epoch: '' })

/** A subscribe with nothing to say about history, or cut short by an unsubscribe. */
function unanswered (): Subscribed {
  return { ...ChannelHistory.none, release: ignore }
}

/**
 * Channels above the adapter: subscriptions of this instance's clients, the broker subscription each channel needs,
 * presence, publishing and the client-side rules (authorize, WS_CHANNEL_PUBLISH, the per-connection cap).
 */
export class Channels {
  readonly subscriptions = new Subscriptions()
  readonly history: ChannelHistory
  /** The adapter's shared store when it has one, else this instance's members only. */
  readonly presenceStore: PresenceStore
  readonly #links: BrokerLinks
  readonly #fanout: Fanout
  readonly #metrics: WsMetrics
  readonly #log: Logger
  readonly #maxPerConnection: number
  readonly #clientsMayPublish: boolean
  readonly #authorize: Authorize | undefined
  /** Each client's publishes in request order, when an async `authorize` could otherwise reorder them. */
  readonly #publishTurns = new WeakMap<Client, Promise<unknown>>()
  /** Presence writes and notifications still in flight, awaited at shutdown. */
  readonly #inFlight = new Set<Promise<void>>()
  /** Subscribers of history channels that are not yet ordinary recipients, by channel (see catch-up.ts). */
  readonly #catchingUp = new Map<string, Set<Subscription>>()

  constructor (options: ChannelsOptions) {
    this.#fanout = options.fanout
    this.#metrics = options.metrics
    this.#log = options.log
    this.#maxPerConnection = options.maxChannelsPerConnection
    this.#clientsMayPublish = options.channelPublish === 'any'
    this.#authorize = options.authorize
    this.history = options.history
    this.presenceStore = options.adapter.presence ?? new LocalPresence()
    this.#links = new BrokerLinks(options.adapter, options.log, (seconds) => options.metrics.subscribeDuration.observe(seconds))
  }

  /**
   * The one subscribe flow, for clients, the host and remote commands. Resolves once the client receives the
   * channel's messages: allowed (`asClient` asks `authorize`), the broker confirmed the channel here, the client is a
   * recipient and a presence member. The subscription is registered at once, so an unsubscribe that follows waits
   * for it. Subscribing again is the same subscription (turning presence on if asked, and answering from history
   * again); rejects -32010 when refused, -32011 past the cap and -32001 when the broker did not confirm.
   * With history on the channel, `recover` asks for what was published after that position (see history.ts).
   */
  subscribe (client: Client, channel: string, presence: boolean, asClient: boolean, recover?: Position): Promise<Subscribed> {
    const existing = this.subscriptions.get(client, channel)
    if (existing !== undefined) {
      if (presence) this.subscriptions.watch(existing)
      return this.#turn(existing, () => this.#again(existing, recover))
    }
    if (this.subscriptions.countOf(client) >= this.#maxPerConnection) return Promise.reject(tooManyChannels(this.#maxPerConnection))
    const subscription = this.subscriptions.add(client, channel, presence)
    return this.#turn(subscription, () => this.#start(subscription, asClient && (this.#authorize !== undefined || client.grants !== undefined), recover))
  }

  /**
   * Runs one subscribe of the subscription after the previous one was released, and makes `done` (what an
   * unsubscribe or a later subscribe waits for) settle once this one is released or failed.
   */
  #turn (subscription: Subscription, run: () => Promise<Subscribed>): Promise<Subscribed> {
    // a subscribe that failed and took the subscription with it fails the ones queued behind it the same way
    const result = subscription.done.then(run)
    let released!: () => void
    const done = new Promise<void>((resolve) => { released = resolve })
    subscription.done = result.then(() => done, (err) => {
      // a failed answer from history leaves the subscription as it was: what follows goes on
      if (this.subscriptions.get(subscription.client, subscription.channel) !== subscription) throw err
    })
    subscription.done.catch(ignore)
    return result.then((subscribed) => ({
      ...subscribed,
      release: () => {
        subscribed.release()
        released()
      }
    }))
  }

  async #start (subscription: Subscription, mustAuthorize: boolean, recover: Position | undefined): Promise<Subscribed> {
    const { client, channel } = subscription
    if (mustAuthorize) {
      try {
        await this.check('subscribe', channel, client)
      } catch (err) {
        this.subscriptions.remove(subscription)
        throw err
      }
      if (subscription.isCancelled) return unanswered()
    }
    subscription.isHeld = true
    try {
      await this.#links.hold(channel)
    } catch (err) {
      // a cancelled one already let go of its hold when it was removed
      if (this.subscriptions.remove(subscription)) this.#links.release(channel)
      throw subscribeUnavailable(err)
    }
    if (subscription.isCancelled) return unanswered()
    const policy = this.history.kept(channel)
    let subscribed: Subscribed = unanswered()
    if (policy !== undefined) {
      // live first, then the read: whatever the read misses arrives live, and the catch-up drops what it already had
      const catchUp = this.#startCatchUp(subscription)
      try {
        subscribed = this.#recovered(subscription, catchUp, await this.history.recover(channel, policy, recover))
      } catch (err) {
        this.#endCatchUp(subscription)
        if (this.subscriptions.remove(subscription)) this.#links.release(channel)
        throw err
      }
      if (subscription.isCancelled) return subscribed
    }
    this.subscriptions.activate(subscription, policy === undefined)
    const member = memberOf(client)
    await this.presenceStore.join(channel, member).catch((err) => this.#log.warn({ err, channel, clientId: client.id }, 'presence join failed'))
    // on the next turn, after the subscribe result went out: a subscriber watching presence sees its own join second
    setImmediate(() => this.#announce('join', channel, member))
    return subscribed
  }

  /** A subscription asked for again: with history, the answer is read again, as for a new one. */
  async #again (subscription: Subscription, recover: Position | undefined): Promise<Subscribed> {
    const policy = this.history.kept(subscription.channel)
    if (policy === undefined || !subscription.isActive) return unanswered()
    this.subscriptions.stopReceiving(subscription)
    const catchUp = this.#startCatchUp(subscription)
    try {
      return this.#recovered(subscription, catchUp, await this.history.recover(subscription.channel, policy, recover))
    } catch (err) {
      // still subscribed: what was held goes out, as nothing was read to compare it with
      catchUp.readTo({ epoch: '', offset: 0 })
      this.#released(subscription, catchUp)
      throw err
    }
  }

  #recovered (subscription: Subscription, catchUp: CatchUp, recovery: Recovery): Subscribed {
    catchUp.readTo({ epoch: recovery.epoch, offset: recovery.offset })
    return { ...recovery, release: () => this.#released(subscription, catchUp) }
  }

  /** Live messages of the channel reach the subscription through its catch-up until it is caught up. */
  #startCatchUp (subscription: Subscription): CatchUp {
    const catchUp = new CatchUp(subscription.client)
    subscription.catchUp = catchUp
    let waiting = this.#catchingUp.get(subscription.channel)
    if (waiting === undefined) {
      waiting = new Set()
      this.#catchingUp.set(subscription.channel, waiting)
    }
    waiting.add(subscription)
    return catchUp
  }

  #released (subscription: Subscription, catchUp: CatchUp) {
    if (subscription.catchUp !== catchUp) return
    if (catchUp.release()) this.#caughtUp(subscription)
  }

  #caughtUp (subscription: Subscription) {
    this.#endCatchUp(subscription)
    if (subscription.isActive) this.subscriptions.receive(subscription)
  }

  #endCatchUp (subscription: Subscription) {
    subscription.catchUp = undefined
    const waiting = this.#catchingUp.get(subscription.channel)
    if (waiting?.delete(subscription) === true && waiting.size === 0) this.#catchingUp.delete(subscription.channel)
  }

  /** A history channel's live message, after its recipients had it: subscribers still catching up take it here. */
  positioned (channel: string, envelope: Envelope) {
    const waiting = this.#catchingUp.get(channel)
    if (waiting === undefined) return
    for (const subscription of waiting) {
      if (subscription.catchUp!.offer(envelope)) this.#caughtUp(subscription)
    }
  }

  /** The channels a client is subscribed to (for its `resync`). */
  channelsOf (client: Client): string[] {
    return this.subscriptions.of(client).map((subscription) => subscription.channel)
  }

  /** False when the client was not subscribed. Waits for a subscribe in flight, so the answers keep their order. */
  async unsubscribe (client: Client, channel: string): Promise<boolean> {
    const subscription = this.subscriptions.get(client, channel)
    if (subscription === undefined) return false
    await subscription.done.catch(ignore)
    if (this.subscriptions.get(client, channel) !== subscription) return false
    await this.#leave(subscription)
    return true
  }

  /** The socket closed: every subscription goes, with a leave for each. */
  clientLeft (client: Client) {
    for (const subscription of this.subscriptions.of(client)) this.#track(this.#leave(subscription))
  }

  #leave (subscription: Subscription): Promise<void> {
    const { client, channel } = subscription
    const wasActive = subscription.isActive
    if (!this.subscriptions.remove(subscription)) return Promise.resolve()
    this.#endCatchUp(subscription)
    if (subscription.isHeld) this.#links.release(channel)
    if (!wasActive) return Promise.resolve()
    // after the join's own write, so a store on a broker never sees the leave first
    return subscription.done.catch(ignore).then(async () => {
      await this.presenceStore.leave(channel, client.id).catch((err) => this.#log.warn({ err, channel, clientId: client.id }, 'presence leave failed'))
      this.#announce('leave', channel, memberOf(client))
    })
  }

  /**
   * Sends `data` as a `message` notification to every subscriber of the channel on every instance, kept in the
   * channel's history when it has one. Resolves once the broker confirmed it, with its position; rejects -32001 when
   * it did not.
   */
  async publish (channel: string, data: unknown, from: string): Promise<Published> {
    const payload = messageNotification(channel, data, from)
    const policy = this.history.kept(channel)
    const position = policy === undefined
      ? await this.#fanout.publish({ kind: 'channel', channel }, payload).then(() => NOT_KEPT)
      : await this.#fanout.append(channel, policy, payload)
    this.#metrics.channelMessages.inc()
    return position
  }

  /**
   * A client's publish: the rules first, then `publish`. With an async `authorize`, each client's publishes wait
   * for the previous one's verdict, so messages of one publisher keep their order on every instance.
   */
  async publishFrom (client: Client, channel: string, data: unknown): Promise<Published> {
    if (!this.#clientsMayPublish) throw notAllowed({ action: 'publish', channel, reason: 'only the server publishes' })
    if (this.#authorize === undefined) {
      this.#checkClaims('publish', channel, client)
      return this.publish(channel, data, client.id)
    }
    const turn = (this.#publishTurns.get(client) ?? Promise.resolve()).catch(ignore).then(() => this.check('publish', channel, client))
    this.#publishTurns.set(client, turn)
    await turn
    return this.publish(channel, data, client.id)
  }

  /**
   * Rejects with -32010 unless `authorize` allows the client's action. Without `authorize`, the channel claims of
   * the client's JWT decide (src/auth/channel-grants.ts); without those either, every action is allowed.
   */
  async check (action: ChannelAction, channel: string, client: Client): Promise<void> {
    if (this.#authorize === undefined) return this.#checkClaims(action, channel, client)
    const allowed = await this.#authorize({ action, channel, client, identity: client.identity })
    if (allowed !== true) throw notAllowed({ action, channel, reason: 'refused by authorize' })
  }

  #checkClaims (action: ChannelAction, channel: string, client: Client) {
    const reason = client.grants?.refusal(action, channel)
    if (reason !== undefined) throw notAllowed({ action, channel, reason })
  }

  /** Rejects -32001, with the store's reason as `cause`, when the store could not read every instance's members. */
  async presence (channel: string): Promise<PresenceResult> {
    const clients = await this.presenceStore.members(channel).catch(this.#refusePresence)
    return { channel, count: clients.length, clients }
  }

  count (channel: string): Promise<number> {
    return this.presenceStore.count(channel).catch(this.#refusePresence)
  }

  /**
   * Channels with a subscriber on some instance, with their counts; rejects like `presence`. The store's reserved
   * keys (the per-user connection counts, `#user:…`) are not channels and are left out.
   */
  async list (): Promise<Array<{ channel: string, count: number }>> {
    const all = await this.presenceStore.channels().catch(this.#refusePresence)
    return all.filter(({ channel }) => !isReservedKey(channel))
  }

  /** Channels with a local subscriber (pending ones included). */
  localChannels (): string[] {
    return this.#links.channels()
  }

  /** Resolves once leaves and adapter calls in flight have settled: shutdown awaits it before closing the adapter. */
  async settle (): Promise<void> {
    await Promise.all([...this.#inFlight])
    await this.#links.settle()
  }

  readonly #refusePresence = (err: unknown): never => {
    if (err instanceof RpcError) throw err
    this.#log.warn({ err }, 'presence not answered')
    throw presenceUnavailable(err)
  }

  #announce (event: 'join' | 'leave', channel: string, member: PresenceMember) {
    this.#fanout.publish({ kind: 'channel', channel, presence: true }, presenceNotification(event, channel, member))
      .catch((err) => this.#log.warn({ err: err.cause ?? err, channel, event }, 'presence notification not published'))
  }

  #track (work: Promise<void>) {
    this.#inFlight.add(work)
    work.finally(() => this.#inFlight.delete(work)).catch(ignore)
  }
}

/** The client as presence shows it: `user` is its token's label, when auth gave it one. */
export function memberOf (client: Client): PresenceMember {
  return client.identity === undefined ? { id: client.id } : { id: client.id, user: client.identity }
}

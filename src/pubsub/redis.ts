import type { Redis } from 'ioredis'
import type { PubSubAdapter } from './adapter.js'
import { redactUrl } from './broker-url.js'
import type { Envelope } from './envelope.js'
import { BrokerAdapter, type BrokerOptions } from './broker-adapter.js'
import { UnconfirmedPublishError } from './drop-reason.js'
import { BrokerUnavailableError } from './broker-unavailable.js'
import { closeRedisClient, corkForTick, openRedisPair, refusalOf } from './redis-client.js'
import { RedisChannels } from './redis-channels.js'
import { RedisHistory } from './redis-history.js'
import { RedisPresence } from './redis-presence.js'

export interface RedisAdapterOptions extends BrokerOptions {
  url: string
  channel: string
}

/**
 * Redis pub/sub: a subscribed connection cannot publish, so there are two. Both fail fast while
 * Redis is away (no offline queue, no retried commands) and reconnect with backoff on their own.
 */
export class RedisAdapter extends BrokerAdapter implements PubSubAdapter {
  readonly name = 'redis' as const
  readonly #options: RedisAdapterOptions
  #publisher: Redis | undefined
  #subscriber: Redis | undefined
  #publisherReady = false
  #subscribed = false
  /** A SUBSCRIBE of every held channel is in flight on a fresh subscriber connection. */
  #subscribing = false
  #closing = false
  /** Each hub channel is a Redis channel of its own, so an instance only receives the channels it has subscribers for. */
  readonly #channels: RedisChannels
  readonly presence: RedisPresence
  readonly history: RedisHistory

  constructor (options: RedisAdapterOptions) {
    super(options.log, { adapter: 'redis', url: redactUrl(options.url), channel: options.channel }, options.signingKeys)
    this.#options = options
    this.#channels = new RedisChannels(options.channel, () => this.#subscriber, () => this.#subscribed && this.#subscriber?.status === 'ready')
    this.presence = new RedisPresence(() => this.#publisher, {
      prefix: options.channel, instanceId: options.instanceId, leaseMs: options.presenceLeaseMs, log: options.log
    })
    this.history = new RedisHistory({
      prefix: options.channel,
      // refused while down, like a publish: our own subscription would miss the message
      client: () => this.#ready(),
      publishTo: (channel) => this.#channels.key(channel),
      encode: (envelope) => this.encode(envelope),
      decode: (data) => this.decodeKept(data)
    })
  }

  #ready (): Redis | undefined {
    if (!this.isConnected || this.#publisher === undefined) return undefined
    corkForTick(this.#publisher)
    return this.#publisher
  }

  async connect () {
    const { url, reconnect, connectTimeoutMs, publishTimeoutMs } = this.#options
    const { publisher, listener: subscriber, lastError } = openRedisPair({
      url, reconnect, connectTimeoutMs, publishTimeoutMs, names: { publisher: 'ws-hub-pub', listener: 'ws-hub-sub' }
    })
    this.#publisher = publisher
    this.#subscriber = subscriber

    publisher.on('ready', () => {
      this.#publisherReady = true
      this.presence.renew().catch(() => {})
      this.#resubscribe()
      this.#up()
    })
    publisher.on('close', () => {
      this.#publisherReady = false
      if (!this.#closing) this.state.down(lastError())
    })
    subscriber.on('ready', () => this.#resubscribe())
    subscriber.on('close', () => {
      this.#subscribed = false
      this.#subscribing = false
      if (!this.#closing) this.state.down(lastError())
    })
    // the Buffer variant hands over the payload bytes as they came off the socket
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => {
      // a message can come in the same read as the SUBSCRIBE reply, before the reply's promise callback has run:
      // the subscription is up, and the resync must reach clients before this message does
      if (this.#subscribing) this.#confirmed()
      this.inbox.receive(message)
    })

    this.presence.start()
    await this.state.firstAttempt(connectTimeoutMs)
  }

  /**
   * Every channel held goes back in one SUBSCRIBE, once both connections are ready. Receiving waits for publishing
   * because the adapter comes up, and tells clients to resync, only when both are: a message received before that
   * would reach clients ahead of their resync, and a client recovering from its last position would skip the gap.
   */
  #resubscribe () {
    const subscriber = this.#subscriber!
    if (!this.#publisherReady || subscriber.status !== 'ready' || this.#subscribed || this.#subscribing) return
    this.#subscribing = true
    const { channel, log } = this.#options
    subscriber.subscribe(channel, ...this.#channels.held()).then(() => this.#confirmed(), (err: Error) => {
      this.#subscribing = false
      // a connection that dropped meanwhile is handled by 'close'; a refusal (ACL, say) needs a human
      if (subscriber.status === 'ready') log.error({ err, channel }, 'redis refused the subscription')
    })
  }

  #confirmed () {
    if (!this.#subscribing) return
    this.#subscribing = false
    this.#subscribed = true
    this.#up()
  }

  #up () {
    if (this.#publisherReady && this.#subscribed) this.state.up()
  }

  async publish (envelope: Envelope) {
    const publisher = this.#publisher
    // with our own subscription down, the sender's instance would miss its own broadcast: refuse it whole
    if (!this.isConnected || publisher === undefined) throw new BrokerUnavailableError('redis')
    const target = envelope.target
    corkForTick(publisher)
    let receivers: number
    try {
      receivers = await publisher.publish(target.kind === 'channel' ? this.#channels.key(target.channel) : this.#options.channel, this.encode(envelope))
    } catch (err) {
      throw refusalOf(publisher, err)
    }
    // a channel nobody subscribes to right now is legitimately received by no one
    if (target.kind === 'channel') return
    // our own subscription counts, so 0 means it is gone (Redis dropped it, e.g. past its output-buffer limit)
    // although its 'close' has not reached us yet: nobody got this one, and we must re-subscribe
    if (receivers === 0) {
      this.#subscriptionLost()
      throw new UnconfirmedPublishError('redis PUBLISH reached no subscriber')
    }
  }

  subscribe (channel: string): Promise<void> {
    return this.#channels.subscribe(channel)
  }

  unsubscribe (channel: string): Promise<void> {
    return this.#channels.unsubscribe(channel)
  }

  #subscriptionLost () {
    const subscriber = this.#subscriber
    if (!this.#subscribed || subscriber === undefined) return
    this.#subscribed = false
    this.state.down(new Error('redis PUBLISH reached no subscriber, not even our own'))
    // a fresh connection subscribes again on 'ready' and brings the adapter back up
    if (subscriber.status === 'ready') subscriber.disconnect(true)
  }

  async close () {
    this.#closing = true
    await this.presence.close()
    await Promise.all([closeRedisClient(this.#publisher), closeRedisClient(this.#subscriber)])
  }
}

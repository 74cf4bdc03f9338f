import { Redis } from 'ioredis'
import type { Logger } from '../logger.js'
import type { PubSubAdapter } from './adapter.js'
import type { Backoff } from './backoff.js'
import { redactUrl } from './broker-url.js'
import { encodeEnvelope, type Envelope, type MalformedEnvelopeError } from './envelope.js'
import { Inbox } from './inbox.js'
import { LinkState } from './link-state.js'
import { closeRedisClient, redisClientOptions } from './redis-client.js'

export interface RedisAdapterOptions {
  url: string
  channel: string
  reconnect: Backoff
  connectTimeoutMs: number
  publishTimeoutMs: number
  log: Logger
}

/**
 * Redis pub/sub: a subscribed connection cannot publish, so there are two. Both fail fast while
 * Redis is away (no offline queue, no retried commands) and reconnect with backoff on their own.
 */
export class RedisAdapter implements PubSubAdapter {
  readonly name = 'redis' as const
  readonly #options: RedisAdapterOptions
  readonly #inbox = new Inbox()
  readonly #state: LinkState
  #publisher: Redis | undefined
  #subscriber: Redis | undefined
  #publisherReady = false
  #subscribed = false
  #closing = false

  constructor (options: RedisAdapterOptions) {
    this.#options = options
    this.#state = new LinkState(options.log, { adapter: 'redis', url: redactUrl(options.url), channel: options.channel })
  }

  get isConnected () {
    return this.#state.isConnected
  }

  onEnvelope (handler: (envelope: Envelope) => void) {
    this.#inbox.onEnvelope(handler)
  }

  onMalformed (handler: (err: MalformedEnvelopeError) => void) {
    this.#inbox.onMalformed(handler)
  }

  async connect () {
    const { url, channel, reconnect, connectTimeoutMs, publishTimeoutMs, log } = this.#options
    const common = redisClientOptions(reconnect, connectTimeoutMs)
    // auto-pipelining: broadcasts published in the same tick (a burst) leave in one write
    const publisher = new Redis(url, { ...common, connectionName: 'ws-hub-pub', commandTimeout: publishTimeoutMs, enableAutoPipelining: true })
    const subscriber = new Redis(url, { ...common, connectionName: 'ws-hub-sub' })
    this.#publisher = publisher
    this.#subscriber = subscriber

    // ioredis emits 'error' on every failed attempt; LinkState turns those into one line per change
    let lastError: Error | undefined
    const remember = (err: Error) => { lastError = err }
    publisher.on('error', remember)
    subscriber.on('error', remember)

    publisher.on('ready', () => {
      this.#publisherReady = true
      this.#up()
    })
    publisher.on('close', () => {
      this.#publisherReady = false
      if (!this.#closing) this.#state.down(lastError)
    })
    subscriber.on('ready', () => {
      subscriber.subscribe(channel).then(() => {
        this.#subscribed = true
        this.#up()
      }, (err: Error) => {
        // a connection that dropped meanwhile is handled by 'close'; a refusal (ACL, say) needs a human
        if (subscriber.status === 'ready') log.error({ err, channel }, 'redis refused the subscription')
      })
    })
    subscriber.on('close', () => {
      this.#subscribed = false
      if (!this.#closing) this.#state.down(lastError)
    })
    // the Buffer variant hands over the payload bytes as they came off the socket
    subscriber.on('messageBuffer', (_channel: Buffer, message: Buffer) => this.#inbox.receive(message))

    await this.#state.firstAttempt(connectTimeoutMs)
  }

  #up () {
    if (this.#publisherReady && this.#subscribed) this.#state.up()
  }

  async publish (envelope: Envelope) {
    // with our own subscription down, the sender's instance would miss its own broadcast: refuse it whole
    if (!this.isConnected || this.#publisher === undefined) throw new Error('redis broker unavailable')
    await this.#publisher.publish(this.#options.channel, encodeEnvelope(envelope))
  }

  async close () {
    this.#closing = true
    await Promise.all([closeRedisClient(this.#publisher), closeRedisClient(this.#subscriber)])
  }
}

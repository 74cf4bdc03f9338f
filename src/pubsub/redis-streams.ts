import type { Redis } from 'ioredis'
import type { Logger } from '../logger.js'
import type { PubSubAdapter } from './adapter.js'
import { backoffDelay, type Backoff } from './backoff.js'
import { redactUrl } from './broker-url.js'
import { encodeEnvelope, type Envelope } from './envelope.js'
import { BrokerAdapter } from './broker-adapter.js'
import { closeRedisClient, openRedisPair } from './redis-client.js'
import { RedisPresence } from './redis-presence.js'

export interface RedisStreamsAdapterOptions {
  url: string
  stream: string
  maxLength: number
  reconnect: Backoff
  connectTimeoutMs: number
  publishTimeoutMs: number
  instanceId: string
  presenceLeaseMs: number
  log: Logger
}

// entries per XREAD, and how long one XREAD blocks before it is sent again
const READ_BATCH = 500
const READ_BLOCK_MS = 5_000
const FIELD = 'e'

/**
 * Durable mode: every envelope is an entry of one Redis stream (XADD, trimmed to about `maxLength`), and each
 * instance reads it from the last id it delivered. A reader that loses Redis for a while resumes where it
 * stopped, so nothing published meanwhile is missed, as long as the entries are still in the stream.
 */
export class RedisStreamsAdapter extends BrokerAdapter implements PubSubAdapter {
  readonly name = 'redis-streams' as const
  readonly #options: RedisStreamsAdapterOptions
  #publisher: Redis | undefined
  #reader: Redis | undefined
  #publisherReady = false
  #reading = false
  #readerUp = false
  #closing = false
  /** The id of the last entry handed to the hub; undefined until the first connection has read the stream's tail. */
  #lastId: string | undefined
  /**
   * One stream carries every envelope, so there is no `subscribe`: each instance reads all of them and the hub
   * hands a channel's only to its local subscribers. Presence is shared like the `redis` adapter's.
   */
  readonly presence: RedisPresence

  constructor (options: RedisStreamsAdapterOptions) {
    super(options.log, { adapter: 'redis-streams', url: redactUrl(options.url), stream: options.stream })
    this.#options = options
    this.presence = new RedisPresence(() => this.#publisher, {
      prefix: options.stream, instanceId: options.instanceId, leaseMs: options.presenceLeaseMs, log: options.log
    })
  }

  async connect () {
    const { url, reconnect, connectTimeoutMs, publishTimeoutMs } = this.#options
    const { publisher, listener: reader, lastError } = openRedisPair({
      url, reconnect, connectTimeoutMs, publishTimeoutMs, names: { publisher: 'ws-hub-xadd', listener: 'ws-hub-xread' }
    })
    this.#publisher = publisher
    this.#reader = reader

    publisher.on('ready', () => {
      this.#publisherReady = true
      this.presence.renew().catch(() => {})
      this.#up()
    })
    publisher.on('close', () => {
      this.#publisherReady = false
      if (!this.#closing) this.state.down(lastError())
    })
    reader.on('ready', () => this.#read(reader))
    reader.on('close', () => {
      this.#readerUp = false
      if (!this.#closing) this.state.down(lastError())
    })

    this.presence.start()
    await this.state.firstAttempt(connectTimeoutMs)
  }

  #up () {
    if (this.#publisherReady && this.#readerUp) this.state.up()
  }

  /** Reads from #lastId until the connection drops; 'ready' starts it again from the same id. */
  #read (reader: Redis) {
    if (this.#reading) return
    this.#reading = true
    const { stream, log } = this.#options
    ;(async () => {
      // on first start only: begin after the newest entry, not at the stream's beginning
      let lastId = this.#lastId ?? await this.#tail(reader)
      this.#lastId = lastId
      this.#readerUp = true
      this.#up()
      while (!this.#closing) {
        const result = await reader.xreadBuffer('COUNT', READ_BATCH, 'BLOCK', READ_BLOCK_MS, 'STREAMS', stream, lastId)
        for (const [, entries] of result ?? []) {
          for (const [id, fields] of entries) {
            lastId = id.toString()
            this.#lastId = lastId
            this.#receive(fields)
          }
        }
      }
    })().catch((err: Error) => {
      if (this.#closing || reader.status !== 'ready') return
      // Redis answered with an error (the key holds another type, say): log it and try again after a pause
      log.error({ err, stream }, 'reading the redis stream failed')
      setTimeout(() => { if (!this.#closing && reader.status === 'ready') this.#read(reader) }, backoffDelay(5, this.#options.reconnect)).unref()
    }).finally(() => {
      this.#reading = false
    })
  }

  async #tail (reader: Redis): Promise<string> {
    const newest = await reader.xrevrange(this.#options.stream, '+', '-', 'COUNT', 1)
    return newest[0]?.[0] ?? '0-0'
  }

  #receive (fields: Buffer[]) {
    // fields alternate name, value; anyone may XADD to the key, so the shape is checked like any foreign message
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i]!.toString() === FIELD) return this.inbox.receive(fields[i + 1]!)
    }
    this.inbox.receive(Buffer.alloc(0))
  }

  async publish (envelope: Envelope) {
    if (!this.isConnected || this.#publisher === undefined) throw new Error('redis broker unavailable')
    const { stream, maxLength } = this.#options
    // '~' lets Redis trim whole macro nodes, which is much cheaper than an exact length
    await this.#publisher.xadd(stream, 'MAXLEN', '~', maxLength, '*', FIELD, encodeEnvelope(envelope))
  }

  async close () {
    this.#closing = true
    await this.presence.close()
    await Promise.all([closeRedisClient(this.#publisher), closeRedisClient(this.#reader)])
  }
}

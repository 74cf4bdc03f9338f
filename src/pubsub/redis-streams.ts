import type { Redis } from 'ioredis'
import type { PubSubAdapter } from './adapter.js'
import { backoffDelay } from './backoff.js'
import { redactUrl } from './broker-url.js'
import type { Envelope } from './envelope.js'
import { BrokerAdapter, type BrokerOptions } from './broker-adapter.js'
import { ResyncReason } from './resync.js'
import { BrokerUnavailableError } from './broker-unavailable.js'
import { closeRedisClient, corkForTick, openRedisPair, refusalOf } from './redis-client.js'
import { RedisHistory } from './redis-history.js'
import { RedisPresence } from './redis-presence.js'

export interface RedisStreamsAdapterOptions extends BrokerOptions {
  url: string
  stream: string
  maxLength: number
}

// entries per XREAD, and how long one XREAD blocks before it is sent again
const READ_BATCH = 500
const READ_BLOCK_MS = 5_000
const FIELD = 'e'
// the faults that degrade the adapter on a live connection: Redis answers XADD or XREAD with an error
const PUBLISH_FAULT = 'publish'
const READ_FAULT = 'read'

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
  /** A channel's history beside the deployment's stream; its script appends to both, so order holds on every instance. */
  readonly history: RedisHistory
  /** When reading stopped (the reader's connection closed, or XREAD failed): what a gap found on resuming dates from. */
  #readLostAt = Date.now()
  #probeTimer: NodeJS.Timeout | undefined
  /** Redis 7's `entries-added` when we started on an empty stream. */
  #addedAtStart: number | undefined

  constructor (options: RedisStreamsAdapterOptions) {
    super(options.log, { adapter: 'redis-streams', url: redactUrl(options.url), stream: options.stream }, options.signingKeys)
    this.#options = options
    this.presence = new RedisPresence(() => this.#publisher, {
      prefix: options.stream, instanceId: options.instanceId, leaseMs: options.presenceLeaseMs, log: options.log
    })
    this.history = new RedisHistory({
      prefix: options.stream,
      client: () => this.#ready(),
      stream: { key: options.stream, maxLength: options.maxLength },
      encode: (envelope) => this.encode(envelope),
      decode: (data) => this.decodeKept(data)
    })
  }

  /** The publisher when an XADD may go out (as `publish` checks), corked for the tick. */
  #ready (): Redis | undefined {
    if (!this.state.isLinked || this.#publisher === undefined || this.state.hasFault(READ_FAULT)) return undefined
    corkForTick(this.#publisher)
    return this.#publisher
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
      if (this.#readerUp) this.#readLostAt = Date.now()
      this.#readerUp = false
      if (!this.#closing) this.state.down(lastError())
    })

    this.presence.start()
    await this.state.firstAttempt(connectTimeoutMs)
  }

  #up () {
    if (this.#publisherReady && this.#readerUp) this.state.up()
  }

  /** A reader that resumes from its last id misses nothing, unless a gap is found: no resync on reconnect alone. */
  protected override recovered () {}

  /** Reads from #lastId until the connection drops; 'ready' starts it again from the same id. */
  #read (reader: Redis) {
    if (this.#reading) return
    this.#reading = true
    const { stream, log } = this.#options
    ;(async () => {
      const resumeFrom = this.#lastId
      // on first start only: begin after the newest entry, not at the stream's beginning
      let lastId = resumeFrom ?? await this.#tail(reader)
      const gap = resumeFrom !== undefined && await this.#trimmedSince(reader, resumeFrom)
      this.#lastId = lastId
      this.#readerUp = true
      this.#up()
      if (resumeFrom === undefined) this.resync({ reason: ResyncReason.PubsubReconnected, since: this.#readLostAt })
      else if (gap) this.resync({ reason: ResyncReason.StreamGap, since: this.#readLostAt })
      while (!this.#closing) {
        // after a failed read, the first one does not block, so the fault clears as soon as Redis answers
        const block = this.state.hasFault(READ_FAULT) ? [] : ['BLOCK', READ_BLOCK_MS]
        const result = await reader.xreadBuffer('COUNT', READ_BATCH, ...block as ['BLOCK', number], 'STREAMS', stream, lastId)
        this.state.clear(READ_FAULT)
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
      // Redis answered with an error (the key holds another type, say): degraded until a read succeeds again
      log.error({ err, stream }, 'reading the redis stream failed')
      if (!this.state.hasFault(READ_FAULT)) this.#readLostAt = Date.now()
      this.state.fault(READ_FAULT, err)
      setTimeout(() => { if (!this.#closing && reader.status === 'ready') this.#read(reader) }, backoffDelay(5, this.#options.reconnect)).unref()
    }).finally(() => {
      this.#reading = false
    })
  }

  /**
   * Whether entries after `lastId` were trimmed before we read them. Trimming takes the oldest first, so while the
   * oldest kept entry is not newer than our last one, nothing after it is gone (once it is, something after it may
   * be: a resync then may be one too many, never one too few). Started on an empty stream, we have no entry of our
   * own to look for: Redis 7 counts the entries ever added, and more were added than are kept means some were trimmed.
   * A stream that is gone (Redis restarted without its data) may have held anything we had not read.
   */
  async #trimmedSince (reader: Redis, lastId: string): Promise<boolean> {
    const info = await this.#info(reader)
    if (info === undefined) return lastId !== '0-0'
    const first = info.get('first-entry') as [string] | null
    if (lastId === '0-0' && typeof info.get('entries-added') === 'number') {
      return (info.get('entries-added') as number) - (this.#addedAtStart ?? 0) > (info.get('length') as number)
    }
    if (first !== null) return compareIds(first[0], lastId) > 0
    return compareIds(String(info.get('last-generated-id')), lastId) > 0
  }

  /** XINFO STREAM as a map, or undefined when there is no such key. */
  async #info (reader: Redis): Promise<Map<unknown, unknown> | undefined> {
    let reply: unknown[]
    try {
      reply = await reader.call('XINFO', 'STREAM', this.#options.stream) as unknown[]
    } catch (err) {
      if (/no such key/i.test((err as Error).message)) return undefined
      throw err
    }
    const info = new Map<unknown, unknown>()
    for (let i = 0; i + 1 < reply.length; i += 2) info.set(reply[i], reply[i + 1])
    return info
  }

  async #tail (reader: Redis): Promise<string> {
    const newest = await reader.xrevrange(this.#options.stream, '+', '-', 'COUNT', 1)
    if (newest[0] !== undefined) return newest[0][0]
    // an empty stream: what a later gap check counts from
    const added = (await this.#info(reader))?.get('entries-added')
    this.#addedAtStart = typeof added === 'number' ? added : 0
    return '0-0'
  }

  #receive (fields: Buffer[]) {
    // fields alternate name, value; anyone may XADD to the key, so the shape is checked like any foreign message
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i]!.toString() === FIELD) return this.inbox.receive(fields[i + 1]!)
    }
    this.inbox.receive(Buffer.alloc(0))
  }

  async publish (envelope: Envelope) {
    // a publish fault alone does not refuse: the next XADD that succeeds is what clears it
    const publisher = this.#publisher
    if (!this.state.isLinked || publisher === undefined) throw new BrokerUnavailableError('redis')
    if (this.state.hasFault(READ_FAULT)) throw new Error('redis stream cannot be read')
    const { stream, maxLength } = this.#options
    corkForTick(publisher)
    try {
      // '~' lets Redis trim whole macro nodes, which is much cheaper than an exact length
      await publisher.xadd(stream, 'MAXLEN', '~', maxLength, '*', FIELD, this.encode(envelope))
    } catch (err) {
      // an error reply on a live connection (WRONGTYPE, OOM, NOPERM) would go on failing: degrade until it clears
      if ((err as Error).name === 'ReplyError') this.#publishFailed(err as Error)
      throw refusalOf(publisher, err)
    }
    this.state.clear(PUBLISH_FAULT)
  }

  /** Behind a 503 no new client may come to publish, so a key of the wrong type is also checked for on a timer. */
  #publishFailed (err: Error) {
    this.state.fault(PUBLISH_FAULT, err)
    if (this.#probeTimer !== undefined || !/^WRONGTYPE/.test(err.message)) return
    const probe = () => {
      this.#probeTimer = undefined
      if (this.#closing || !this.state.hasFault(PUBLISH_FAULT)) return
      this.#publisher?.type(this.#options.stream).then((type) => {
        if (type === 'stream' || type === 'none') this.state.clear(PUBLISH_FAULT)
        else this.#probeTimer = setTimeout(probe, this.#options.reconnect.maxMs).unref()
      }, () => { this.#probeTimer = setTimeout(probe, this.#options.reconnect.maxMs).unref() })
    }
    this.#probeTimer = setTimeout(probe, this.#options.reconnect.minMs).unref()
  }

  async close () {
    this.#closing = true
    clearTimeout(this.#probeTimer)
    await this.presence.close()
    await Promise.all([closeRedisClient(this.#publisher), closeRedisClient(this.#reader)])
  }
}

/** Orders stream ids (`<ms>-<seq>`) numerically. */
export function compareIds (a: string, b: string): number {
  const [aMs, aSeq] = a.split('-').map(BigInt) as [bigint, bigint]
  const [bMs, bSeq] = b.split('-').map(BigInt) as [bigint, bigint]
  if (aMs !== bMs) return aMs < bMs ? -1 : 1
  return aSeq === bSeq ? 0 : aSeq < bSeq ? -1 : 1
}

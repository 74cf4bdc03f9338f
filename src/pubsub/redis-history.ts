import type { Redis } from 'ioredis'
import { BrokerUnavailableError } from './broker-unavailable.js'
import type { Envelope } from './envelope.js'
import { refusalOf } from './redis-client.js'
import { newEpoch } from './epoch.js'
import type { Position } from './position.js'
import type { HistoryPage, HistoryPolicy, HistoryQuery, HistoryStore, StoredPublication } from './history-store.js'

/**
 * KEYS: the channel's stream, its meta hash, and (redis-streams) the deployment's stream.
 * ARGV: the encoded envelope, size, ttl ms, an epoch to start with, the Redis channel to PUBLISH to ('' for none),
 * the deployment stream's MAXLEN.
 * The offset is the stream entry's id (`0-<offset>`), so a range of offsets is one XRANGE. The meta hash holds the
 * epoch and the last offset; when it is gone (expired, flushed, a Redis restarted empty) a new epoch starts and
 * leftovers of the old one are dropped. Appending, trimming and handing the message on happen in one script, so two
 * instances never get the same offset and subscribers receive a channel's messages in offset order.
 */
const APPEND = `
local epoch = redis.call('HGET', KEYS[2], 'epoch')
if not epoch then
  epoch = ARGV[4]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'epoch', epoch, 'offset', 0)
end
local offset = redis.call('HINCRBY', KEYS[2], 'offset', 1)
redis.call('XADD', KEYS[1], 'MAXLEN', ARGV[2], '0-' .. offset, 'e', ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
redis.call('PEXPIRE', KEYS[2], ARGV[3])
local message = '#' .. offset .. ',' .. epoch .. '\\n' .. ARGV[1]
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], message) end
if KEYS[3] then redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[6], '*', 'e', message) end
return {offset, epoch}
`

/**
 * KEYS: the channel's stream and meta hash. ARGV: ttl ms, an epoch to start with, the reader's epoch ('' for none),
 * its offset, limit, '1' for newest first.
 * Returns {epoch, offset, first, entries}. A channel without history gets an epoch here, so that the position a
 * subscriber starts from names the epoch its next messages will carry.
 */
const READ = `
local epoch = redis.call('HGET', KEYS[2], 'epoch')
local offset = 0
if not epoch then
  epoch = ARGV[2]
  redis.call('DEL', KEYS[1])
  redis.call('HSET', KEYS[2], 'epoch', epoch, 'offset', 0)
  redis.call('PEXPIRE', KEYS[2], ARGV[1])
else
  offset = tonumber(redis.call('HGET', KEYS[2], 'offset'))
end
local first = offset + 1
local head = redis.call('XRANGE', KEYS[1], '-', '+', 'COUNT', 1)
if head[1] then first = tonumber(string.sub(head[1][1], 3)) end
local after = 0
if ARGV[3] == epoch then after = tonumber(ARGV[4]) end
local entries = {}
if tonumber(ARGV[5]) > 0 then
  if ARGV[6] == '1' then
    entries = redis.call('XREVRANGE', KEYS[1], '+', '(0-' .. after, 'COUNT', ARGV[5])
  else
    entries = redis.call('XRANGE', KEYS[1], '(0-' .. after, '+', 'COUNT', ARGV[5])
  end
end
return {epoch, offset, first, entries}
`

type StreamEntry = [Buffer, Buffer[]]

interface HistoryCommands {
  hubHistoryAppend (numberOfKeys: number, ...args: Array<string | number | Buffer>): Promise<[number, string]>
  hubHistoryReadBuffer (stream: string, meta: string, ...args: Array<string | number>): Promise<[Buffer, number, number, StreamEntry[]]>
}

export interface RedisHistoryOptions {
  /** The deployment's prefix (`pubsubChannel`): keys are `<prefix>:history:{<channel>}:…`. */
  prefix: string
  /** The connection commands go out on; undefined or not ready, the store refuses like a publish would. */
  client: () => Redis | undefined
  /** `redis`: the Redis channel a channel's messages are PUBLISHed on. */
  publishTo?: (channel: string) => string
  /** `redis-streams`: the stream every instance reads, and its MAXLEN. */
  stream?: { key: string, maxLength: number }
  /** The envelope's wire bytes (signed when the deployment signs): what is kept and what is delivered. */
  encode: (envelope: Envelope) => Buffer
  /** A kept entry back to its payload, checked like anything read off the broker; undefined when it does not pass. */
  decode: (data: Buffer) => Buffer | undefined
}

/**
 * History in Redis: a stream and a small hash per channel, under one hash tag (`{<channel>}`), so that a channel's
 * keys and its script stay in one slot of a Redis Cluster. Live delivery keeps riding the channel's pub/sub (or the
 * deployment's stream), from inside the same script as the append.
 */
export class RedisHistory implements HistoryStore {
  readonly #options: RedisHistoryOptions
  readonly #defined = new WeakSet<Redis>()

  constructor (options: RedisHistoryOptions) {
    this.#options = options
  }

  async append (channel: string, policy: HistoryPolicy, envelope: Envelope): Promise<Position> {
    const redis = this.#commands()
    const { stream, meta } = this.keys(channel)
    const keys = this.#options.stream === undefined ? [stream, meta] : [stream, meta, this.#options.stream.key]
    const [offset, epoch] = await redis.hubHistoryAppend(keys.length, ...keys, this.#options.encode(envelope), policy.size, policy.ttlMs, newEpoch(),
      this.#options.publishTo?.(channel) ?? '', this.#options.stream?.maxLength ?? 0).catch((err) => { throw refusalOf(redis, err) })
    return { offset, epoch }
  }

  async read (channel: string, policy: HistoryPolicy, query: HistoryQuery): Promise<HistoryPage> {
    const redis = this.#commands()
    const { stream, meta } = this.keys(channel)
    const [epoch, offset, first, entries] = await redis.hubHistoryReadBuffer(stream, meta, policy.ttlMs, newEpoch(),
      query.since?.epoch ?? '', query.since?.offset ?? 0, query.limit, query.reverse ? '1' : '0').catch((err) => { throw refusalOf(redis, err) })
    const publications: StoredPublication[] = []
    for (const [id, fields] of entries) {
      // a kept entry that does not verify (written by someone else) is left out: the gap it leaves is seen by the reader
      const payload = this.#options.decode(fields[1] ?? Buffer.alloc(0))
      if (payload !== undefined) publications.push({ offset: Number(id.toString().slice(2)), payload })
    }
    return { epoch: epoch.toString(), offset, first, publications }
  }

  /** A channel's keys: its hash tag is the channel name, which holds no braces. */
  keys (channel: string): { stream: string, meta: string } {
    const base = `${this.#options.prefix}:history:{${channel}}`
    return { stream: `${base}:stream`, meta: `${base}:meta` }
  }

  /** The scripts, defined once per connection: ioredis sends EVALSHA and falls back to EVAL after a Redis restart. */
  #commands (): Redis & HistoryCommands {
    const redis = this.#options.client()
    if (redis === undefined || redis.status !== 'ready') throw new BrokerUnavailableError('redis')
    if (!this.#defined.has(redis)) {
      redis.defineCommand('hubHistoryAppend', { lua: APPEND })
      redis.defineCommand('hubHistoryRead', { numberOfKeys: 2, lua: READ })
      this.#defined.add(redis)
    }
    return redis as Redis & HistoryCommands
  }
}

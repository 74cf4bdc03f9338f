import { once } from 'node:events'
import { Redis, type RedisOptions } from 'ioredis'
import { backoffDelay, type Backoff } from './backoff.js'
import { BrokerUnavailableError } from './broker-unavailable.js'

/**
 * What every connection of the Redis adapters shares: fail fast while Redis is away (no offline queue,
 * no retried or resent commands) and reconnect with our backoff. Subscriptions are redone by the adapter,
 * so it only reports connected once Redis has confirmed them.
 */
export function redisClientOptions (reconnect: Backoff, connectTimeoutMs: number): RedisOptions {
  return {
    connectTimeout: connectTimeoutMs,
    // a command sent while Redis is away fails at once instead of waiting in memory for a reconnect
    enableOfflineQueue: false,
    // a command in flight when the connection drops is rejected, not silently resent minutes later
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    retryStrategy: (attempt) => backoffDelay(attempt, reconnect)
  }
}

/** Disconnects without waiting for pending replies and resolves once the client is done. */
export async function closeRedisClient (client: Redis | undefined): Promise<void> {
  if (client === undefined || client.status === 'end') return
  // between attempts there is no socket to close and ioredis never emits 'end': clearing its timer is all it takes
  const ended = client.status === 'reconnecting' ? undefined : once(client, 'end')
  client.disconnect()
  await ended
}

export interface RedisPairOptions {
  url: string
  reconnect: Backoff
  connectTimeoutMs: number
  publishTimeoutMs: number
  /** CLIENT SETNAME of each connection, as `CLIENT LIST` on the broker shows them. */
  names: { publisher: string, listener: string }
}

export interface RedisPair {
  publisher: Redis
  listener: Redis
  /** The last connection error of either, for the one log line a link change gets. */
  lastError (): Error | undefined
}

/** The two connections a Redis adapter holds: the listener blocks (SUBSCRIBE, XREAD BLOCK), so publishing needs its own. */
export function openRedisPair (options: RedisPairOptions): RedisPair {
  const common = redisClientOptions(options.reconnect, options.connectTimeoutMs)
  // no auto-pipelining: it builds a Pipeline per command, which cost a lone publish about 70 µs of CPU in the channel
  // benchmark; bursts still leave in one write, through `corkForTick`
  const publisher = new Redis(options.url, {
    ...common, connectionName: options.names.publisher, commandTimeout: options.publishTimeoutMs
  })
  // a blocking read must not time out
  const listener = new Redis(options.url, { ...common, connectionName: options.names.listener })
  // ioredis emits 'error' on every failed attempt; LinkState turns those into one line per change
  let lastError: Error | undefined
  const remember = (err: Error) => { lastError = err }
  publisher.on('error', remember)
  listener.on('error', remember)
  return { publisher, listener, lastError: () => lastError }
}

/**
 * Holds the connection's writes until the current tick ends, so commands issued together (a batch of publishes, a
 * host's loop) reach Redis in one write. `cork`/`uncork` are the socket's public stream API.
 */
export function corkForTick (client: Redis) {
  const stream = client.stream
  if (stream === undefined || stream.writableCorked > 0) return
  stream.cork()
  process.nextTick(() => stream.uncork())
}

// what ioredis fails a command with when the connection is gone or goes away before Redis answered
const CONNECTION_GONE = [/^Connection is closed\.$/, /^Stream isn't writeable/, /^Reached the max retries per request limit/]

/**
 * A command that raced the disconnect reads like one refused because the link was already down: `redis broker
 * unavailable`, with ioredis's error as the cause. An error reply from Redis and a command timeout (Redis took it
 * but did not answer in time) are other kinds and are returned as they are.
 */
export function refusalOf (client: Redis, err: unknown): unknown {
  const message = (err as Error).message ?? ''
  const gone = CONNECTION_GONE.some((pattern) => pattern.test(message)) || ((err as Error).name !== 'ReplyError' && message !== 'Command timed out' && client.status !== 'ready')
  return gone ? new BrokerUnavailableError('redis', err) : err
}

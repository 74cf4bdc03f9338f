import { once } from 'node:events'
import type { Redis, RedisOptions } from 'ioredis'
import { backoffDelay, type Backoff } from './backoff.js'

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

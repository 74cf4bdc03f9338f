import type { Logger } from '../logger.js'
import type { PubSubAdapter } from './adapter.js'
import type { Backoff } from './backoff.js'
import { LocalAdapter } from './local.js'
import { NatsAdapter } from './nats.js'
import { RedisAdapter } from './redis.js'
import { RedisStreamsAdapter } from './redis-streams.js'
import type { SigningKeys } from './signing-keys.js'

/** What a built-in adapter may need; each takes its part. */
export interface BrokerSettings {
  /** Redis channel, stream key or NATS subject shared by one deployment's instances. */
  channel: string
  redisUrl: string
  redisStreamMaxlen: number
  natsUrl: string
  reconnect: Backoff
  connectTimeoutMs: number
  publishTimeoutMs: number
  /** This instance's id, shown in the presence entries it owns. */
  instanceId: string
  /** A vanished instance's presence entries expire within this time. */
  presenceLeaseMs: number
  log: Logger
  /** From `pubsubSecret`: envelopes are signed and checked; undefined, they are neither. */
  signingKeys?: SigningKeys | undefined
}

/** The adapters chosen by name. A new one is a file beside these and a line here. */
export const builtinAdapters = {
  local: () => new LocalAdapter(),
  redis: (s: BrokerSettings) => new RedisAdapter({ ...s, url: s.redisUrl }),
  'redis-streams': (s: BrokerSettings) => new RedisStreamsAdapter({ ...s, url: s.redisUrl, stream: s.channel, maxLength: s.redisStreamMaxlen }),
  nats: (s: BrokerSettings) => new NatsAdapter({ ...s, url: s.natsUrl, subject: s.channel })
} satisfies Record<string, (settings: BrokerSettings) => PubSubAdapter>

export type AdapterName = keyof typeof builtinAdapters
export const ADAPTER_NAMES = Object.keys(builtinAdapters) as AdapterName[]

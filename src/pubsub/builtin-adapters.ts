import type { PubSubAdapter } from './adapter.js'
import type { BrokerOptions } from './broker-adapter.js'
import { LocalAdapter } from './local.js'
import { NatsAdapter } from './nats.js'
import { RedisAdapter } from './redis.js'
import { RedisStreamsAdapter } from './redis-streams.js'

/** What a built-in adapter may need; each takes its part. */
export interface BrokerSettings extends BrokerOptions {
  /** Redis channel, stream key or NATS subject shared by one deployment's instances. */
  channel: string
  redisUrl: string
  redisStreamMaxlen: number
  natsUrl: string
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

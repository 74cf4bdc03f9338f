import { effectiveAdapter, type WsEnv } from '../config/env.js'
import type { Logger } from '../logger.js'
import type { PubSubAdapter } from './adapter.js'
import { LocalAdapter } from './local.js'
import { NatsAdapter } from './nats.js'
import { RedisAdapter } from './redis.js'
import { RedisStreamsAdapter } from './redis-streams.js'

export function createAdapter (config: WsEnv, log: Logger): PubSubAdapter {
  const name = effectiveAdapter(config)
  const common = {
    reconnect: { minMs: config.WS_PUBSUB_RECONNECT_MIN_MS, maxMs: Math.max(config.WS_PUBSUB_RECONNECT_MIN_MS, config.WS_PUBSUB_RECONNECT_MAX_MS) },
    connectTimeoutMs: config.WS_PUBSUB_CONNECT_TIMEOUT_MS,
    publishTimeoutMs: config.WS_PUBSUB_PUBLISH_TIMEOUT_MS,
    log
  }
  switch (name) {
    case 'local':
      return new LocalAdapter()
    case 'redis':
      return new RedisAdapter({ ...common, url: config.WS_REDIS_URL, channel: config.WS_PUBSUB_CHANNEL })
    case 'redis-streams':
      return new RedisStreamsAdapter({ ...common, url: config.WS_REDIS_URL, stream: config.WS_PUBSUB_CHANNEL, maxLength: config.WS_REDIS_STREAM_MAXLEN })
    case 'nats':
      return new NatsAdapter({ ...common, url: config.WS_NATS_URL, subject: config.WS_PUBSUB_CHANNEL })
  }
}

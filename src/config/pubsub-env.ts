import Type from 'typebox'

/** Which broker carries broadcasts between instances, where it is, and how hard to try when it is away. */
export const PubSubEnv = Type.Object({
  WS_PUBSUB_ENABLED: Type.Boolean({ default: false }),
  WS_PUBSUB_ADAPTER: Type.Enum(['local', 'redis', 'redis-streams', 'nats'], { default: 'local' }),
  WS_PUBSUB_CHANNEL: Type.String({ minLength: 1, maxLength: 200, default: 'websocket.broadcast' }),
  WS_REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://localhost:6379/0' }),
  // redis-streams: entries kept in the stream (about), i.e. how much a briefly disconnected instance can catch up on
  WS_REDIS_STREAM_MAXLEN: Type.Integer({ minimum: 1, default: 10_000 }),
  // a comma-separated list names several servers of one NATS cluster
  WS_NATS_URL: Type.String({ pattern: '^(nats|tls)://', default: 'nats://localhost:4222' }),
  // first retry after MIN, doubling up to MAX: short enough to come back quickly, long enough not to hammer a restarting broker
  WS_PUBSUB_RECONNECT_MIN_MS: Type.Integer({ minimum: 1, default: 100 }),
  WS_PUBSUB_RECONNECT_MAX_MS: Type.Integer({ minimum: 1, default: 5_000 }),
  // bounds one connection attempt, and how long start-up waits for the broker before serving degraded
  WS_PUBSUB_CONNECT_TIMEOUT_MS: Type.Integer({ minimum: 10, default: 5_000 }),
  // a broadcast the broker has not confirmed within this time answers -32001
  WS_PUBSUB_PUBLISH_TIMEOUT_MS: Type.Integer({ minimum: 10, default: 2_000 })
})

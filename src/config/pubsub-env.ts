import Type from 'typebox'

/** Which broker carries broadcasts between instances, and where it is. */
export const PubSubEnv = Type.Object({
  WS_PUBSUB_ENABLED: Type.Boolean({ default: false }),
  WS_PUBSUB_ADAPTER: Type.Enum(['local', 'redis', 'nats'], { default: 'local' }),
  WS_PUBSUB_CHANNEL: Type.String({ minLength: 1, maxLength: 200, default: 'websocket.broadcast' }),
  WS_REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://localhost:6379/0' }),
  WS_NATS_URL: Type.String({ pattern: '^(nats|tls)://', default: 'nats://localhost:4222' })
})

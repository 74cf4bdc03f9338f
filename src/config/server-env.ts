import Type from 'typebox'

/** Process, socket and lifecycle knobs. Every one has a row in the README's config table. */
export const ServerEnv = Type.Object({
  WS_HOST: Type.String({ default: '0.0.0.0' }),
  WS_PORT: Type.Integer({ minimum: 0, maximum: 65535, default: 8080 }),
  WS_INSTANCE_ID: Type.String({ default: '', maxLength: 64, pattern: '^[A-Za-z0-9_-]*$' }),
  WS_LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  WS_MAX_PAYLOAD_BYTES: Type.Integer({ minimum: 64, maximum: 100 * 1024 * 1024, default: 64 * 1024 }),
  WS_MAX_BUFFERED_BYTES: Type.Integer({ minimum: 1024, default: 4 * 1024 * 1024 }),
  WS_HEARTBEAT_INTERVAL_MS: Type.Integer({ minimum: 50, default: 30_000 }),
  WS_SHUTDOWN_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  WS_PERMESSAGE_DEFLATE: Type.Boolean({ default: false }),
  WS_DEFLATE_THRESHOLD_BYTES: Type.Integer({ minimum: 0, default: 1024 })
})

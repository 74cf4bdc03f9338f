import Type, { type Static, type TSchema } from 'typebox'
import { ADAPTER_NAMES } from '../pubsub/builtin-adapters.js'

/**
 * Every knob of the plugin, one schema: the plugin validates its options against it, the process entry reads the
 * same knobs from `WS_*` variables (the name is the option's in SCREAMING_SNAKE_CASE, see `envName`), and the
 * configuration reference in docs/ is generated from the descriptions.
 */
export const WsOptionsSchema = Type.Object({
  instanceId: Type.String({ default: '', maxLength: 64, pattern: '^[A-Za-z0-9_-]*$', description: 'this instance\'s id in `/health`, logs and client ids (`[A-Za-z0-9_-]`, ≤ 64); empty: random 8 hex digits' }),
  maxPayloadBytes: Type.Integer({ minimum: 64, maximum: 100 * 1024 * 1024, default: 64 * 1024, description: 'largest frame accepted; larger closes with 1009' }),
  maxBufferedBytes: Type.Integer({ minimum: 1024, default: 1024 * 1024, description: 'unsent bytes one client may hold before it is closed with 4008; past half of it, its frames are not read until it catches up' }),
  maxTotalBufferedBytes: Type.Integer({ minimum: 0, default: 0, description: 'unsent bytes of all clients together before the largest are closed with 4008; 0: a quarter of the memory the process may use, at most half the V8 heap limit' }),
  heartbeatIntervalMs: Type.Integer({ minimum: 50, default: 30_000, description: 'ping interval; a client that misses one ping is terminated at the next tick' }),
  shutdownTimeoutMs: Type.Integer({ minimum: 100, default: 10_000, description: 'how long shutdown may take in all, counted from the signal (or `app.wsHub.drain()`): the drain, answering what was read, waiting for clients to close; then the rest are terminated' }),
  drainDelayMs: Type.Integer({ minimum: 0, default: 0, description: 'on shutdown, how long `/health/ready` answers 503 and upgrades are refused while every request is still served, before clients are closed: time for load balancers to stop sending new clients here' }),
  drainSpreadMs: Type.Integer({ minimum: 0, default: 0, description: 'after the delay, clients are closed with 1001 in batches spread evenly over this time, so they do not all reconnect to the other instances at once; 0: all at once' }),
  permessageDeflate: Type.Boolean({ default: false, description: 'offer permessage-deflate (RFC 7692) to clients that ask for it' }),
  deflateThresholdBytes: Type.Integer({ minimum: 0, default: 1024, description: 'with deflate on, messages smaller than this go uncompressed' }),
  fastPath: Type.Boolean({ default: true, description: 'use the fast paths that reach into `ws` and Node internals (src/fast-path/); `false` takes the public APIs only, with the same behaviour' }),

  pubsubAdapter: Type.Enum(ADAPTER_NAMES, { default: 'local', description: 'what carries broadcasts between instances: `local` (one instance, no broker), `redis`, `redis-streams` or `nats`' }),
  pubsubChannel: Type.String({ minLength: 1, maxLength: 200, default: 'websocket.broadcast', description: 'Redis channel, Redis stream key or NATS subject shared by the instances of one deployment' }),
  redisUrl: Type.String({ pattern: '^rediss?://', default: 'redis://localhost:6379/0', description: 'Redis for the `redis` and `redis-streams` adapters and the shared rate limit (`redis://` or `rediss://`, credentials allowed)' }),
  redisStreamMaxlen: Type.Integer({ minimum: 1, default: 10_000, description: '`redis-streams`: entries kept in the stream (about), i.e. how much a briefly disconnected instance can catch up on' }),
  natsUrl: Type.String({ pattern: '^(nats|tls)://', default: 'nats://localhost:4222', description: 'NATS server(s), comma-separated for a cluster; `nats://user:pass@host`, `nats://token@host`, `tls://`' }),
  pubsubReconnectMinMs: Type.Integer({ minimum: 1, default: 100, description: 'first broker reconnect delay; doubles up to the maximum' }),
  pubsubReconnectMaxMs: Type.Integer({ minimum: 1, default: 5_000, description: 'longest broker reconnect delay' }),
  pubsubConnectTimeoutMs: Type.Integer({ minimum: 10, default: 5_000, description: 'bounds one connection attempt, and how long start-up waits for the broker before serving degraded' }),
  pubsubPublishTimeoutMs: Type.Integer({ minimum: 10, default: 2_000, description: 'a broadcast the broker has not confirmed within this time answers -32001' }),
  presenceLeaseMs: Type.Integer({ minimum: 300, default: 10_000, description: 'with a broker, how long a vanished instance\'s clients stay in presence: each instance renews its lease three times per period' }),
  pubsubSecret: Type.String({ default: '', description: 'sign envelopes (HMAC-SHA-256) and drop any that do not verify; comma-separated keys of ≥ 16 characters, signed with the first, accepted under any (rotation); empty: unsigned' }),

  authEnabled: Type.Boolean({ default: false, description: 'require a bearer token on the upgrade (`Authorization: Bearer …`, `?access_token=` or a `bearer.<base64url>` WebSocket protocol): one of `bearerTokens`, or a JWT under the `jwt*` key' }),
  bearerTokens: Type.String({ default: '', description: 'accepted client tokens, comma-separated; `name:token` gives the token a name, the client\'s identity and presence `user` (unnamed: `token-<i>`)' }),
  jwtSecret: Type.String({ default: '', description: 'accept JWTs signed with HS256/384/512 under this HMAC key (the raw string, ≥ 32 characters); `sub` becomes the client\'s identity (docs/security.md)' }),
  jwtPublicKey: Type.String({ default: '', description: 'accept JWTs signed with RS/PS (RSA key) or ES (EC key) under this PEM public key; `\\n` is read as a newline' }),
  jwtJwksUrl: Type.String({ default: '', description: 'accept JWTs signed with a key of this JWKS (`http(s)://…`), picked by `kid`; an unknown `kid` fetches the set again, at most once per 30 s after a miss' }),
  jwtAudience: Type.String({ default: '', description: 'with a JWT key: the `aud` a token must carry, comma-separated to accept several; empty: not checked' }),
  jwtIssuer: Type.String({ default: '', description: 'with a JWT key: the `iss` a token must carry, comma-separated to accept several; empty: not checked' }),
  metricsToken: Type.String({ default: '', description: 'when set, `/metrics` requires this bearer token' }),
  rateLimitEnabled: Type.Boolean({ default: false, description: 'limit upgrades per IP and frames per connection' }),
  rateLimitMax: Type.Integer({ minimum: 1, default: 100, description: 'upgrades per IP per window (shared through Redis with the `redis` adapter); past it 429' }),
  rateLimitWindowMs: Type.Integer({ minimum: 1, default: 60_000, description: 'the upgrade limit\'s window' }),
  messageRatePerSecond: Type.Number({ exclusiveMinimum: 0, default: 100, description: 'sustained frames per second per connection; past it requests answer -32029' }),
  messageBurst: Type.Integer({ minimum: 1, default: 200, description: 'frames a quiet connection may send at once' }),
  messageFloodLimit: Type.Integer({ minimum: 1, default: 1_000, description: 'refused frames in a row after which the connection is closed with 1008' }),
  maxConnections: Type.Integer({ minimum: 1, default: 10_000, description: 'connections per instance; past it upgrades get 503' }),
  maxConnectionsPerUser: Type.Integer({ minimum: 0, default: 0, description: 'connections one user (a token\'s name or a JWT\'s `sub`) may hold across every instance, counted in the adapter\'s presence store; past it the new connection is closed with 4429 right after the upgrade; 0: unlimited. Connections without an identity are not counted' }),
  maxBatchLength: Type.Integer({ minimum: 1, default: 100, description: 'requests per batch; a longer batch gets one -32600' }),
  maxTextLength: Type.Integer({ minimum: 0, default: 0, description: 'longest string param (characters) for every method whose schema sets none; 0: as long as a frame allows' }),
  allowedOrigins: Type.String({ default: '', description: 'browser origins allowed to connect, comma-separated; empty: any' }),
  refuseInBand: Type.Boolean({ default: false, description: 'complete a refused `/ws` upgrade and close it at once with 4401 (token), 4403 (origin), 4429 (rate limit) or 4503 (full, draining) and a short reason, which a browser can read; `false`: refuse with the HTTP status before the upgrade (a browser sees only 1006). Requests that are not upgrades keep their HTTP answers' }),

  maxChannelsPerConnection: Type.Integer({ minimum: 1, default: 128, description: 'channels one connection may be subscribed to at once; past it `subscribe` answers -32011' }),
  channelPublish: Type.Enum(['any', 'server'], { default: 'any', description: 'who may publish to channels: `any` client (subject to `authorize`), or only the `server` side (`app.wsHub.publish`, the HTTP API)' }),
  historySize: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0, description: 'publications kept per channel for recovery and `history` (0: none); the `history` plugin option can choose per channel' }),
  historyTtlMs: Type.Integer({ minimum: 1_000, default: 600_000, description: 'how long a channel\'s history lives after its last publish; then its next publish starts a new epoch' }),
  historyRecoverMax: Type.Integer({ minimum: 0, default: 0, description: 'most publications one `subscribe` recovery or `history` answer carries; 0: the channel\'s history size' }),
  apiEnabled: Type.Boolean({ default: false, description: 'serve the HTTP API under `/api` (publish, broadcast, presence, channels, disconnect; docs/http-api.md)' }),
  apiKeys: Type.String({ default: '', description: 'bearer keys accepted by the HTTP API, comma-separated, distinct from client tokens; required when the API is enabled' })
})

/** Every knob with its default applied. */
export type WsOptions = Static<typeof WsOptionsSchema>
export type OptionName = keyof WsOptions

/** `maxPayloadBytes` → `WS_MAX_PAYLOAD_BYTES`: the one rule that ties an option to its variable. */
export function envName (option: string): string {
  return 'WS_' + option.replace(/[A-Z]/g, (letter) => '_' + letter).toUpperCase()
}

export const optionSchemas = WsOptionsSchema.properties as Record<OptionName, TSchema>

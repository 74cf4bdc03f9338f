/** WebSocket close codes this server sends (RFC 6455 §7.4, plus private-use 4000-4999). */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  UnsupportedData: 1003,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  /** The shared count of the user's connections could not be read, so the connection was not admitted. */
  TryAgainLater: 1013,
  /** The client stopped reading and its unsent buffer passed WS_MAX_BUFFERED_BYTES. */
  SlowConsumer: 4008,
  /** The JWT the connection authenticated with passed its `exp`, and no `auth.refresh` came first. */
  TokenExpired: 4401,
  /** The user already holds WS_MAX_CONNECTIONS_PER_USER connections across the instances. */
  TooManyConnectionsForUser: 4429
} as const
export type CloseCode = typeof CloseCode[keyof typeof CloseCode]

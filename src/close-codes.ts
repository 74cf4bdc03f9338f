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
  /**
   * The token: the JWT the connection authenticated with passed its `exp` and no `auth.refresh` came first, or (with
   * WS_REFUSE_IN_BAND) the upgrade's token was missing or refused. A client should not reconnect with the same token.
   */
  TokenExpired: 4401,
  /** With WS_REFUSE_IN_BAND: the upgrade's `Origin` is not allowed. A client should not reconnect. */
  Forbidden: 4403,
  /** The user already holds WS_MAX_CONNECTIONS_PER_USER connections across the instances. */
  TooManyConnectionsForUser: 4429,
  /** With WS_REFUSE_IN_BAND: the upgrade passed the per-IP rate limit (the same code as the per-user limit: "too many"). */
  RateLimited: 4429,
  /** With WS_REFUSE_IN_BAND: the instance is full or draining; a client should retry, elsewhere if it can. */
  Unavailable: 4503
} as const
export type CloseCode = typeof CloseCode[keyof typeof CloseCode]

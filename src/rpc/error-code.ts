/** JSON-RPC 2.0 §5.1 codes, plus this server's own in the implementation-defined range -32000..-32099. */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  /**
   * The broker did not confirm the broadcast (never acknowledged, though a timed-out publish may still arrive), a
   * channel's subscription, or a whole presence answer.
   */
  PubSubUnavailable: -32001,
  /** `authorize` or the JWT's channel claims refused the action on the channel, or `channelPublish` is `server`; `data` says which. */
  NotAllowed: -32010,
  /** The connection is already subscribed to `maxChannelsPerConnection` channels. */
  TooManyChannels: -32011,
  /** `history`'s `since` is of another epoch, or older than what the channel keeps: the caller must resync. */
  UnrecoverablePosition: -32012,
  /** `auth.refresh` did not accept the token; `data.reason` is `invalid`, `expired` or `refused`. */
  TokenRefused: -32013,
  /** The connection sent more than its message-rate allowance. */
  RateLimited: -32029
} as const
export type ErrorCode = typeof ErrorCode[keyof typeof ErrorCode]

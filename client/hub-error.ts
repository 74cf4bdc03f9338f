/**
 * The client's own error codes, beside the JSON-RPC codes of an error answer (`ErrorCode` from the server).
 * Strings, so they never collide with a server's numbers.
 */
export const ClientErrorCode = {
  /** No answer within `timeoutMs` (sent or still queued); a late answer is ignored. The call may still have run. */
  Timeout: 'ETIMEDOUT',
  /** The connection dropped after the request was sent and before its answer: it may or may not have run. */
  ConnectionReset: 'ECONNRESET',
  /** The client is closed (`close()`, or stopped for good after an auth refusal or with `reconnect: false`). */
  Closed: 'ECLOSED',
  /** The server refused the token or the origin: HTTP 401/403 on the upgrade, or a 4401/4403 close. */
  Unauthorized: 'EAUTH',
  /** `subscribe` was called for a channel this client already holds. */
  AlreadySubscribed: 'EALREADY',
  /** `unsubscribe()` came before the first subscription answer. */
  Canceled: 'ECANCELED',
  /** A frame from the server was not JSON. */
  Protocol: 'EPROTO'
} as const
export type ClientErrorCode = typeof ClientErrorCode[keyof typeof ClientErrorCode]

/** An error answer (JSON-RPC `code`, `message`, `data`), or one of the client's own (`ClientErrorCode`). */
export class HubError extends Error {
  readonly code: number | ClientErrorCode
  readonly data: unknown

  constructor (code: number | ClientErrorCode, message: string, data?: unknown) {
    super(message)
    this.name = 'HubError'
    this.code = code
    this.data = data
  }
}

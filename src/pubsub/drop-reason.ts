/**
 * Why an envelope was not delivered, as the `reason` label of `ws_pubsub_errors_total`. A fixed set, so a hostile
 * publisher cannot grow the series. Received: `malformed` … `bad_signature`; published: `publish_failed`, `unconfirmed`.
 */
export const DropReason = {
  /** the envelope cannot be decoded, or its payload is not JSON */
  Malformed: 'malformed',
  InvalidUtf8: 'invalid_utf8',
  /** the payload is larger than `maxPayloadBytes` */
  TooLarge: 'too_large',
  /** JSON, but not a JSON-RPC notification (or, for a command, not an object with a string `op`) */
  NotNotification: 'not_notification',
  /** unsigned, or signed with no key this instance holds, while `pubsubSecret` is set */
  BadSignature: 'bad_signature',
  /** the adapter refused or could not finish the publish (broker away, timeout, an error reply) */
  PublishFailed: 'publish_failed',
  /** the broker took the publish but says no subscriber got it */
  Unconfirmed: 'unconfirmed'
} as const
export type DropReason = typeof DropReason[keyof typeof DropReason]
export const DROP_REASONS = Object.values(DropReason)

/** A publish the broker accepted without confirming any receiver: it answers -32001 like an unreachable broker. */
export class UnconfirmedPublishError extends Error {
  readonly reason = DropReason.Unconfirmed
  constructor (message: string) {
    super(message)
    this.name = 'UnconfirmedPublishError'
  }
}

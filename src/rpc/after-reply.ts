/**
 * A handler's result with work to do once the answer is on the socket: `subscribe` holds a recovering subscriber's
 * live messages until the publications it answers with have gone out. Within a batch, `run` follows the request's
 * own answer being worked out, not the batch's, since a later request of the batch may wait for it.
 */
export class AfterReply {
  readonly result: unknown
  readonly run: () => void

  constructor (result: unknown, run: () => void) {
    this.result = result
    this.run = run
  }
}

/** An answer with its after-reply work, for `handleFrame`. */
export interface PendingAnswer {
  text: string
  after: () => void
}

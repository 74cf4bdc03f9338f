/** The bucket's state, kept as two plain numbers on each client so no timer or object is needed per connection. */
export interface RateState {
  /** Messages the client may still send now; negative while it floods (each refused message digs deeper). */
  rateTokens: number
  /** `performance.now()` of the last refill; 0 before the first message. */
  rateRefilledAt: number
}

export interface MessageRateOptions {
  /** Sustained messages per second. */
  perSecond: number
  /** Messages a client may send at once after being quiet. */
  burst: number
  /** Refused messages owed, beyond which the client counts as flooding and is closed. */
  floodLimit: number
}

/** What `take` decided: `wait` is 0 when the message may run, else the milliseconds until one would. */
export interface RateDecision {
  waitMs: number
  isFlooding: boolean
}

const ADMITTED: RateDecision = Object.freeze({ waitMs: 0, isFlooding: false })

/**
 * A token bucket shared by every connection, with the per-client numbers passed in. A refused message still
 * costs a token, so a client that ignores the retry delay goes deeper into debt until `floodLimit`;
 * one that waits as told gets served again.
 */
export class MessageRate {
  readonly perSecond: number
  readonly burst: number
  readonly floodLimit: number

  constructor (options: MessageRateOptions) {
    this.perSecond = options.perSecond
    this.burst = options.burst
    this.floodLimit = options.floodLimit
  }

  take (state: RateState, now: number): RateDecision {
    if (state.rateRefilledAt === 0) {
      state.rateTokens = this.burst
    } else {
      state.rateTokens = Math.min(this.burst, state.rateTokens + (now - state.rateRefilledAt) * this.perSecond / 1000)
    }
    state.rateRefilledAt = now
    const before = state.rateTokens
    state.rateTokens = before - 1
    if (before >= 1) return ADMITTED
    return {
      waitMs: Math.ceil((1 - state.rateTokens) * 1000 / this.perSecond),
      // the floodLimit-th refused message in a row (give or take the refill since) closes instead of answering
      isFlooding: state.rateTokens < 1 - this.floodLimit
    }
  }
}

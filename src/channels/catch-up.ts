import type { Client } from '../hub/client.js'
import type { Envelope } from '../pubsub/envelope.js'
import type { Position } from '../pubsub/position.js'

/**
 * A subscriber whose channel keeps history, between the broker confirming the channel here and the subscriber
 * becoming an ordinary recipient. The channel's live messages reach it through here: held while its history is read
 * and its answer (with the publications) goes out, then passed on only past where the read ended. So none is lost,
 * none arrives twice, and none arrives before the answer. Live messages come in offset order, so once one reaches
 * the read's end, nothing older can follow and the subscriber may take the channel's messages like any other.
 */
export class CatchUp {
  readonly #client: Client
  #readTo: Position | undefined
  #held: Envelope[] | undefined = []

  constructor (client: Client) {
    this.#client = client
  }

  /** Where the history read ended: live messages up to it were in the answer, or before the client's position. */
  readTo (position: Position) {
    this.#readTo = position
  }

  /** A live message of the channel; true once the subscriber is caught up. */
  offer (envelope: Envelope): boolean {
    if (this.#held !== undefined) {
      this.#held.push(envelope)
      return false
    }
    return this.#pass(envelope)
  }

  /** The answer is out: what was held past the read goes out in order. True once the subscriber is caught up. */
  release (): boolean {
    const held = this.#held ?? []
    this.#held = undefined
    // nothing was kept when the read ended at 0, so any live message is new
    let caughtUp = this.#readTo === undefined || this.#readTo.offset === 0
    for (const envelope of held) {
      if (this.#pass(envelope)) caughtUp = true
    }
    return caughtUp
  }

  #pass (envelope: Envelope): boolean {
    const position = envelope.position!
    const readTo = this.#readTo!
    // another epoch: the history the read saw is gone, and this message is from the new one
    if (position.epoch !== readTo.epoch || position.offset > readTo.offset) {
      if (this.#client.send(envelope.payload)) this.#client.hub.metrics.messagesSent.inc()
      return true
    }
    return position.offset === readTo.offset
  }
}

import type { PubSubAdapter } from './adapter.js'
import type { Envelope } from './envelope.js'

/** One instance, no broker: a publish is received in-process, at once. */
export class LocalAdapter implements PubSubAdapter {
  readonly name = 'local' as const
  readonly isConnected = true
  #handler: (envelope: Envelope) => void = () => {}

  async connect () {}

  onEnvelope (handler: (envelope: Envelope) => void) {
    this.#handler = handler
  }

  async publish (envelope: Envelope) {
    this.#handler(envelope)
  }

  async close () {}
}

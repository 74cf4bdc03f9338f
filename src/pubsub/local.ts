import type { PubSubAdapter } from './adapter.js'
import type { Envelope } from './envelope.js'
import { MemoryHistory } from './memory-history.js'

/** One instance, no broker: a publish is received in-process, at once. */
export class LocalAdapter implements PubSubAdapter {
  readonly name = 'local' as const
  readonly isConnected = true
  #handler: (envelope: Envelope) => void = () => {}
  readonly history = new MemoryHistory((envelope) => this.#handler(envelope))

  async connect () {}

  onEnvelope (handler: (envelope: Envelope) => void) {
    this.#handler = handler
  }

  async publish (envelope: Envelope) {
    this.#handler(envelope)
  }

  // every envelope is already here; present so a channel's first subscriber takes the same path as on a broker
  async subscribe (_channel: string) {}
  async unsubscribe (_channel: string) {}

  async close () {
    await this.history.close()
  }
}

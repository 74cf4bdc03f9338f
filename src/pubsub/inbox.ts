import { decodeEnvelope, MalformedEnvelopeError, type Envelope } from './envelope.js'
import type { SigningKeys } from './signing-keys.js'

/** Decodes what arrives from a broker and hands it on; what cannot be decoded or verified is reported, never thrown. */
export class Inbox {
  readonly #keys: SigningKeys | undefined
  #onEnvelope: (envelope: Envelope) => void = () => {}
  #onMalformed: (err: MalformedEnvelopeError) => void = () => {}

  constructor (keys?: SigningKeys) {
    this.#keys = keys
  }

  onEnvelope (handler: (envelope: Envelope) => void) {
    this.#onEnvelope = handler
  }

  onMalformed (handler: (err: MalformedEnvelopeError) => void) {
    this.#onMalformed = handler
  }

  receive (data: Buffer) {
    let envelope: Envelope
    try {
      envelope = decodeEnvelope(data, this.#keys)
    } catch (err) {
      // a throw here would unwind into the broker client's socket handler and take the process down
      this.#onMalformed(err instanceof MalformedEnvelopeError ? err : new MalformedEnvelopeError(String(err)))
      return
    }
    this.#onEnvelope(envelope)
  }
}

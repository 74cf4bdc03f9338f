import { decodeEnvelope, MalformedEnvelopeError, type Envelope } from './envelope.js'
import { readPositionPrefix } from './position.js'
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
      const prefixed = readPositionPrefix(data)
      if (prefixed === 'malformed') throw new MalformedEnvelopeError('bad position prefix')
      envelope = decodeEnvelope(prefixed?.rest ?? data, this.#keys)
      if (prefixed !== undefined) {
        // only a channel's messages are kept in history, never its join/leave
        if (envelope.target.kind !== 'channel' || envelope.target.presence === true) throw new MalformedEnvelopeError('position on an envelope that has none')
        envelope.position = prefixed.position
      }
    } catch (err) {
      // a throw here would unwind into the broker client's socket handler and take the process down
      this.#onMalformed(err instanceof MalformedEnvelopeError ? err : new MalformedEnvelopeError(String(err)))
      return
    }
    this.#onEnvelope(envelope)
  }
}

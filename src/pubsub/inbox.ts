import { decodeEnvelope, MalformedEnvelopeError, type Envelope } from './envelope.js'
import { readPositionPrefix, type Position } from './position.js'
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

  /**
   * A channel's kept message whose position came beside its bytes (NATS headers) rather than in front of them;
   * `position` is undefined when those did not read as one. The envelope must name `channel`, the one the broker
   * filed it under, so a message replayed under another channel's name is dropped.
   */
  receivePositioned (data: Buffer, position: Position | undefined, channel: string) {
    let envelope: Envelope
    try {
      if (position === undefined) throw new MalformedEnvelopeError('bad position headers')
      envelope = decodeEnvelope(data, this.#keys)
      const target = envelope.target
      if (target.kind !== 'channel' || target.presence === true || target.channel !== channel) throw new MalformedEnvelopeError('kept under another channel')
      envelope.position = position
    } catch (err) {
      this.#onMalformed(err instanceof MalformedEnvelopeError ? err : new MalformedEnvelopeError(String(err)))
      return
    }
    this.#onEnvelope(envelope)
  }
}

import type { Logger } from '../logger.js'
import type { Envelope, MalformedEnvelopeError } from './envelope.js'
import { Inbox } from './inbox.js'
import { LinkState } from './link-state.js'

/** What every broker adapter shares: the inbox its messages are decoded through and the link state `/health` reads. */
export abstract class BrokerAdapter {
  protected readonly inbox = new Inbox()
  protected readonly state: LinkState

  /** `fields` name the adapter, its redacted URL and its channel in every link-state log line. */
  constructor (log: Logger, fields: Record<string, unknown>) {
    this.state = new LinkState(log, fields)
  }

  get isConnected () {
    return this.state.isConnected
  }

  onEnvelope (handler: (envelope: Envelope) => void) {
    this.inbox.onEnvelope(handler)
  }

  onMalformed (handler: (err: MalformedEnvelopeError) => void) {
    this.inbox.onMalformed(handler)
  }
}

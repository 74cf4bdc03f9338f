import type { Logger } from '../logger.js'
import type { Backoff } from './backoff.js'
import { decodeEnvelope, encodeEnvelope, type Envelope, type MalformedEnvelopeError } from './envelope.js'
import { Inbox } from './inbox.js'
import { LinkState } from './link-state.js'
import { ResyncReason, type Resync } from './resync.js'
import type { SigningKeys } from './signing-keys.js'

/** The options every broker adapter takes beside its broker's address. */
export interface BrokerOptions {
  reconnect: Backoff
  connectTimeoutMs: number
  publishTimeoutMs: number
  /** This instance's id, shown in the presence entries it owns. */
  instanceId: string
  /** A vanished instance's presence entries expire within this time. */
  presenceLeaseMs: number
  log: Logger
  /** From `pubsubSecret`: envelopes are signed and checked; undefined, they are neither. */
  signingKeys?: SigningKeys | undefined
  /** The history defaults: an adapter whose broker sets limits per store (a JetStream stream) takes them as its ceiling. */
  historySize: number
  historyTtlMs: number
}

/** What every broker adapter shares: the inbox its messages are decoded through and the link state `/health` reads. */
export abstract class BrokerAdapter {
  protected readonly inbox: Inbox
  protected readonly state: LinkState
  readonly #keys: SigningKeys | undefined
  #onResync: (resync: Resync) => void = () => {}

  /** `fields` name the adapter, its redacted URL and its channel in every link-state log line. */
  constructor (log: Logger, fields: Record<string, unknown>, keys?: SigningKeys) {
    this.state = new LinkState(log, fields)
    this.inbox = new Inbox(keys)
    this.#keys = keys
    this.state.onRecovered = (lostAt) => this.recovered(lostAt)
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

  onResync (handler: (resync: Resync) => void) {
    this.#onResync = handler
  }

  /** The envelope's wire bytes, signed when `pubsubSecret` is set. */
  protected encode (envelope: Envelope): Buffer {
    return encodeEnvelope(envelope, this.#keys)
  }

  /** A kept history entry's payload, checked as anything read off the broker is; undefined when it does not pass. */
  protected decodeKept (data: Buffer): Buffer | undefined {
    try {
      const envelope = decodeEnvelope(data, this.#keys)
      return envelope.target.kind === 'channel' ? envelope.payload : undefined
    } catch {
      return undefined
    }
  }

  protected resync (resync: Resync) {
    this.#onResync(resync)
  }

  /** At most once: a subscription that was down missed what was published meanwhile, so the clients are told. */
  protected recovered (lostAt: number) {
    this.resync({ reason: ResyncReason.PubsubReconnected, since: lostAt })
  }
}

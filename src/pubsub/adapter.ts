import type { Envelope, MalformedEnvelopeError } from './envelope.js'
import type { HistoryStore } from './history-store.js'
import type { PresenceStore } from './presence.js'
import type { Resync } from './resync.js'

/**
 * Carries envelopes between instances. Every instance, the publisher's included, receives each one.
 * The contract is public: a host may pass its own adapter as the `pubsubAdapter` option.
 */
export interface PubSubAdapter {
  /** Shown in `/health` and the start-up log line (`redis`, `nats`, …). */
  readonly name: string
  /** True while a publish can reach the broker and the subscription is live. */
  readonly isConnected: boolean
  /**
   * Starts connecting and resolves once subscribed, or once the first attempt failed or timed out:
   * an unreachable broker at start-up leaves the adapter disconnected and retrying, it does not stop the server.
   */
  connect (): Promise<void>
  /**
   * Resolves once the broker confirmed it has the envelope. Rejects at once while disconnected (nobody will
   * receive it), or when the confirmation does not come (the broker may still have taken it).
   */
  publish (envelope: Envelope): Promise<void>
  /** Set once, before connect(). */
  onEnvelope (handler: (envelope: Envelope) => void): void
  /** Set once, before connect(). Adapters fed by a broker report here each message they dropped as undecodable. */
  onMalformed? (handler: (err: MalformedEnvelopeError) => void): void
  /**
   * Set once, before connect(). Called when this instance may have missed envelopes (its subscription came back
   * after an outage); the hub then sends each client a `resync` notification.
   */
  onResync? (handler: (resync: Resync) => void): void
  /**
   * Starts taking the channel's envelopes off the broker; resolves once the broker confirmed the subscription, so a
   * message published after that arrives. Optional: an adapter without it must hand over every envelope it gets
   * (the hub delivers only to local subscribers). Called once per channel as its first local subscriber arrives.
   */
  subscribe? (channel: string): Promise<void>
  /** Stops taking the channel's envelopes; called as its last local subscriber leaves. */
  unsubscribe? (channel: string): Promise<void>
  /** Presence shared by the instances; without one, presence is this instance's members only. */
  readonly presence?: PresenceStore
  /**
   * Channel history (offsets, an epoch, what was published). Required when history is configured: its `append`
   * also delivers the message, with its position, to the channel's subscribers on every instance.
   */
  readonly history?: HistoryStore
  close (): Promise<void>
}

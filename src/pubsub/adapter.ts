import type { AdapterName } from '../config/env.js'
import type { Envelope } from './envelope.js'

/** Carries envelopes between instances. Every instance, the publisher's included, receives each one. */
export interface PubSubAdapter {
  readonly name: AdapterName
  /** True while a publish can reach the broker and the subscription is live. */
  readonly isConnected: boolean
  /** Resolves once subscribed; rejects when the broker cannot be reached at start-up. */
  connect (): Promise<void>
  /** Rejects when the envelope could not be handed to the broker: nobody will receive it. */
  publish (envelope: Envelope): Promise<void>
  /** Set once, before connect(). */
  onEnvelope (handler: (envelope: Envelope) => void): void
  close (): Promise<void>
}

import type { NatsConnection, Subscription } from 'nats'

/**
 * `<plain>.<channel>`: a channel's dots split it into subject tokens. A name that would make an empty token
 * (`a..b`, a leading or trailing dot) is not a valid subject, so it travels base64url-encoded as `<encoded>.<name>`.
 */
export function channelSubject (channel: string, plain: string, encoded: string): string {
  return channel.split('.').includes('') ? `${encoded}.${Buffer.from(channel).toString('base64url')}` : `${plain}.${channel}`
}

/**
 * The per-channel subjects one NATS connection holds. nats.js sends each SUB at once and resubscribes them after a
 * reconnect by itself; only a fresh connection (after nats.js gave up) needs `attach`. The adapter confirms with
 * one flush round trip per event-loop turn, whatever number of channels were added in it.
 */
export class NatsChannels {
  readonly #subject: string
  readonly #receive: (data: Uint8Array) => void
  /** Every channel held, with its subscription on the current connection. */
  readonly #held = new Map<string, Subscription | undefined>()

  constructor (subject: string, receive: (data: Uint8Array) => void) {
    this.#subject = subject
    this.#receive = receive
  }

  /** `<subject>.ch.<channel>`, or `<subject>.chx.<base64url>` for a name that is not a valid subject (see `channelSubject`). */
  subjectOf (channel: string): string {
    return channelSubject(channel, `${this.#subject}.ch`, `${this.#subject}.chx`)
  }

  add (connection: NatsConnection, channel: string) {
    if (this.#held.get(channel) !== undefined) return
    this.#held.set(channel, this.#open(connection, channel))
  }

  remove (channel: string) {
    const subscription = this.#held.get(channel)
    this.#held.delete(channel)
    subscription?.unsubscribe()
  }

  /** Subscribes every held channel on a fresh connection. */
  attach (connection: NatsConnection) {
    for (const channel of this.#held.keys()) this.#held.set(channel, this.#open(connection, channel))
  }

  #open (connection: NatsConnection, channel: string): Subscription {
    return connection.subscribe(this.subjectOf(channel), { callback: (err, msg) => { if (err === null) this.#receive(msg.data) } })
  }
}

import { connect, DebugEvents, ErrorCode, Events, type NatsConnection } from 'nats'
import type { PubSubAdapter } from './adapter.js'
import { backoffDelay } from './backoff.js'
import { BrokerUnavailableError } from './broker-unavailable.js'
import { natsConnectOptions, redactUrl } from './broker-url.js'
import type { Envelope } from './envelope.js'
import { BrokerAdapter, type BrokerOptions } from './broker-adapter.js'
import { NatsChannels } from './nats-channels.js'
import { JetStreamMissingError, NatsHistory } from './nats-history.js'
import { NatsPresence } from './nats-presence.js'

export interface NatsAdapterOptions extends BrokerOptions {
  url: string
  subject: string
}

// what nats.js fails a pending flush or a publish with when the connection goes away under it
const CONNECTION_GONE = new Set<string>([ErrorCode.Disconnect, ErrorCode.ConnectionClosed, ErrorCode.ConnectionDraining])

/**
 * NATS core pub/sub on one connection. nats.js reconnects and resubscribes by itself once it has
 * connected; until the first connection, and after it gives up, this adapter retries with the same backoff.
 * With history configured, channel history lives in a JetStream stream (see nats-history.ts), and the adapter
 * is up only once that stream and its live consumer are.
 */
export class NatsAdapter extends BrokerAdapter implements PubSubAdapter {
  readonly name = 'nats' as const
  readonly #options: NatsAdapterOptions
  #connection: NatsConnection | undefined
  #attempt = 0
  #retryTimer: NodeJS.Timeout | undefined
  #closing = false
  #flushing: Promise<void> | undefined
  #wasUp = false
  /** Why the first connection was refused for good (no JetStream for history): `connect` rejects with it. */
  #startError: Error | undefined
  #warnedNoJetStream = false
  /** Each hub channel is a subject of its own, so an instance only receives the channels it has subscribers for. */
  readonly #channels: NatsChannels
  readonly presence: NatsPresence
  /** Channel history on JetStream, when `historySize` > 0; its `append` also delivers, through the live consumer. */
  readonly history: NatsHistory | undefined

  constructor (options: NatsAdapterOptions) {
    super(options.log, { adapter: 'nats', url: redactUrl(options.url), subject: options.subject }, options.signingKeys)
    this.#options = options
    this.#channels = new NatsChannels(options.subject, (data) => this.inbox.receive(Buffer.from(data.buffer, data.byteOffset, data.byteLength)))
    this.presence = new NatsPresence({
      subject: options.subject,
      instanceId: options.instanceId,
      leaseMs: options.presenceLeaseMs,
      answerTimeoutMs: options.publishTimeoutMs,
      isLinked: () => this.isConnected,
      log: options.log
    })
    this.history = options.historySize > 0
      ? new NatsHistory({
        subject: options.subject,
        size: options.historySize,
        ttlMs: options.historyTtlMs,
        timeoutMs: options.publishTimeoutMs,
        log: options.log,
        url: redactUrl(options.url),
        // refused while down, like a publish: the live consumer may not be following the stream
        isUp: () => this.isConnected,
        encode: (envelope) => this.encode(envelope),
        decode: (data) => this.decodeKept(data),
        receive: (data, position, channel) => this.inbox.receivePositioned(data, position, channel)
      })
      : undefined
  }

  /** Rejects only when history is configured and the server has no JetStream: that server can never serve it. */
  async connect () {
    this.#dial()
    await this.state.firstAttempt(this.#options.connectTimeoutMs)
    const refused = this.#startError
    if (refused !== undefined) {
      await this.close()
      throw refused
    }
  }

  #dial () {
    const { url, subject, connectTimeoutMs, reconnect } = this.#options
    this.#attempt++
    connect({
      ...natsConnectOptions(url),
      name: 'ws-hub',
      timeout: connectTimeoutMs,
      reconnect: true,
      maxReconnectAttempts: -1,
      // a broker that vanished without closing the socket is noticed after two unanswered pings (~30 s), not nats.js's 2 min × 2
      pingInterval: 15_000,
      maxPingOut: 2,
      // called before each dial; #attempt counts the dials since the connection was last up
      reconnectDelayHandler: () => backoffDelay(this.#attempt, reconnect)
    }).then(async (connection) => {
      if (this.#closing) return connection.close()
      this.#connection = connection
      connection.subscribe(subject, {
        callback: (err, msg) => {
          if (err) return this.#options.log.error({ err, subject }, 'nats subscription error')
          // a view on the received bytes, not a copy: clients get them as they came
          this.inbox.receive(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength))
        }
      })
      this.#channels.attach(connection)
      this.presence.attach(connection)
      this.#watch(connection).catch((err) => this.#options.log.error({ err }, 'nats status watcher failed'))
      await this.#confirm(connection)
    }, (err: Error) => {
      if (this.#closing) return
      this.state.down(err)
      this.#retryTimer = setTimeout(() => this.#dial(), backoffDelay(this.#attempt, reconnect)).unref()
    }).catch((err) => this.#options.log.error({ err, subject }, 'nats subscription failed'))
  }

  /**
   * The SUB is confirmed once the server answered a PING sent after it; only then do other instances' messages reach us.
   * With history, the stream is then created or updated and the live consumer (re)started.
   * A confirmation that fails or hangs on a connection nats.js still holds is tried again, or the adapter would stay down.
   */
  async #confirm (connection: NatsConnection) {
    let timer: NodeJS.Timeout | undefined
    try {
      await Promise.race([connection.flush(), new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new Error('nats did not answer a PING in time')), this.#options.connectTimeoutMs)
      })])
      await this.history?.attach(connection)
      this.#attempt = 0
      this.#wasUp = true
      this.#warnedNoJetStream = false
      this.state.up()
    } catch (err) {
      if (err instanceof JetStreamMissingError) {
        if (!this.#wasUp) {
          // at start-up this is a configuration error, not an outage: the server refuses to start
          this.#startError = err
          this.state.down(err)
          return
        }
        // a server restarted without JetStream: said once, then retried like any outage
        if (!this.#warnedNoJetStream) this.#options.log.error({ err: err.message }, 'NATS channel history unavailable')
        this.#warnedNoJetStream = true
      }
      this.state.down(err as Error)
      if (this.#closing || connection.isClosed()) return
      this.#retryTimer = setTimeout(() => { this.#confirm(connection).catch(() => {}) }, backoffDelay(++this.#attempt, this.#options.reconnect)).unref()
    } finally {
      clearTimeout(timer)
    }
  }

  async #watch (connection: NatsConnection) {
    connection.closed().then((err) => {
      if (this.#closing) return
      // nats.js gave up (e.g. the server refused our credentials): start over with a fresh connection
      this.#connection = undefined
      this.state.down(err ?? new Error('nats connection closed'))
      this.#retryTimer = setTimeout(() => this.#dial(), backoffDelay(++this.#attempt, this.#options.reconnect)).unref()
    })
    for await (const status of connection.status()) {
      if (status.type === Events.Disconnect) this.state.down(new Error(`disconnected from ${String(status.data)}`))
      else if (status.type === DebugEvents.Reconnecting) this.#attempt++
      else if (status.type === Events.Reconnect) await this.#confirm(connection)
    }
  }

  async publish (envelope: Envelope) {
    const connection = this.#connection
    if (!this.isConnected || connection === undefined) throw new BrokerUnavailableError('nats')
    const target = envelope.target
    try {
      connection.publish(target.kind === 'channel' ? this.#channels.subjectOf(target.channel) : this.#options.subject, this.encode(envelope))
      // publish() only buffers; the flush round trip is what tells us the server has it
      await this.#flush(connection)
    } catch (err) {
      throw this.#refusal(connection, err)
    }
  }

  /** Resolves once the server answered a PING sent after the SUB, like `#confirm`. */
  async subscribe (channel: string) {
    const connection = this.#connection
    if (!this.isConnected || connection === undefined) throw new BrokerUnavailableError('nats')
    this.#channels.add(connection, channel)
    try {
      await this.#flush(connection)
    } catch (err) {
      this.#channels.remove(channel)
      throw this.#refusal(connection, err)
    }
  }

  /**
   * A publish that raced the disconnect fails with whatever nats.js noticed first (`DISCONNECT` on the pending PING,
   * or our own timeout while the link went down): both are the broker going away and read as such. A timeout on a
   * link that is still up is another kind (the server is slow, the message may yet arrive) and keeps its message.
   */
  #refusal (connection: NatsConnection, err: unknown): unknown {
    const gone = CONNECTION_GONE.has((err as { code?: string }).code ?? '') || connection.isClosed() || !this.isConnected
    return gone ? new BrokerUnavailableError('nats', err) : err
  }

  async unsubscribe (channel: string) {
    this.#channels.remove(channel)
    const connection = this.#connection
    if (this.isConnected && connection !== undefined) await this.#flush(connection).catch(() => {})
  }

  /** One PING per event-loop turn covers every publish made in it. */
  #flush (connection: NatsConnection): Promise<void> {
    this.#flushing ??= new Promise<void>((resolve, reject) => {
      setImmediate(() => {
        this.#flushing = undefined
        let timer: NodeJS.Timeout | undefined
        const timeout = new Promise<never>((_resolve, reject) => {
          timer = setTimeout(() => reject(new Error('nats did not confirm the publish in time')), this.#options.publishTimeoutMs)
        })
        Promise.race([connection.flush(), timeout]).then(resolve, reject).finally(() => clearTimeout(timer))
      })
    })
    return this.#flushing
  }

  async close () {
    this.#closing = true
    clearTimeout(this.#retryTimer)
    await this.presence.close()
    await this.history?.close()
    const connection = this.#connection
    this.#connection = undefined
    if (connection !== undefined && !connection.isClosed()) await connection.close()
  }
}

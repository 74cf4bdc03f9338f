import { randomBytes } from 'node:crypto'
import type { WebSocket } from 'ws'
import type { CloseCode } from '../close-codes.js'
import type { FastPath } from '../fast-path/index.js'
import type { Logger } from '../logger.js'
import type { WsMetrics } from '../metrics.js'
import type { Envelope } from '../pubsub/envelope.js'
import { resyncNotification, type Resync } from '../pubsub/resync.js'
import { BufferBudget } from './buffer-budget.js'
import { Client } from './client.js'
import { textFrame } from './frame.js'
import { InFlight } from './in-flight.js'

export interface HubOptions {
  instanceId?: string
  maxBufferedBytes: number
  /** Unsent bytes of all clients together before the largest are closed with 4008. Default: unbounded. */
  maxTotalBufferedBytes?: number
  /** permessage-deflate may be negotiated (WS_PERMESSAGE_DEFLATE); replies then go through ws's compressing sender. */
  deflate?: boolean
  metrics: WsMetrics
  log: Logger
  fastPath: FastPath
}

/** Told of every client that joins or leaves this instance (the host's handle listens here). */
export interface HubListener {
  connected (client: Client): void
  disconnected (client: Client, code: number, reason: string): void
}

/** The channel side of delivery (src/channels/): who is subscribed here, and what follows a leave or a command. */
export interface ChannelRouting {
  recipients (channel: string, presence: boolean): ReadonlySet<Client> | undefined
  /** A channel message with a history position, after its recipients had it: subscribers still recovering take it here. */
  positioned (channel: string, envelope: Envelope): void
  /** The channels a client is subscribed to, for its `resync`. */
  channelsOf (client: Client): string[]
  clientLeft (client: Client): void
  command (payload: Buffer): void
}

/** Every connection of this instance, and local delivery to them. */
export class Hub {
  readonly instanceId: string
  readonly maxBufferedBytes: number
  /** Past this many unsent bytes a client's frames are not read until they drain: half its `maxBufferedBytes`. */
  readonly pauseReadingAboveBytes: number
  readonly budget: BufferBudget
  /** Requests read and not yet answered, which shutdown waits for. */
  readonly inFlight = new InFlight()
  /** Set when the drain begins: `/health/ready` answers 503 and upgrades are refused, while clients are still served. */
  isDraining = false
  /** Set by shutdown: no client is read again, and a new connection is closed with 1001. */
  isStopping = false
  readonly deflate: boolean
  readonly metrics: WsMetrics
  readonly log: Logger
  readonly fastPath: FastPath
  listener: HubListener | undefined
  routing: ChannelRouting | undefined
  readonly #clients = new Map<string, Client>()
  #nextId = 0

  constructor (options: HubOptions) {
    this.instanceId = options.instanceId || randomBytes(4).toString('hex')
    this.maxBufferedBytes = options.maxBufferedBytes
    this.pauseReadingAboveBytes = Math.floor(options.maxBufferedBytes / 2)
    this.budget = new BufferBudget(options.maxTotalBufferedBytes ?? Infinity, () => this.#clients.values())
    this.deflate = options.deflate ?? false
    this.metrics = options.metrics
    this.log = options.log
    this.fastPath = options.fastPath
  }

  get size () {
    return this.#clients.size
  }

  /** Ids embed the instance id, so a client can be addressed from any instance. */
  add (socket: WebSocket, identity?: string): Client {
    const n = this.#nextId++
    const client = new Client(`${this.instanceId}.${n.toString(36)}`, socket, this, identity, n)
    this.#clients.set(client.id, client)
    this.metrics.connectionsTotal.inc()
    this.listener?.connected(client)
    return client
  }

  remove (client: Client, code: number, reason: string) {
    this.#clients.delete(client.id)
    client.expireAt(undefined)
    this.budget.forget(client)
    this.routing?.clientLeft(client)
    this.listener?.disconnected(client, code, reason)
  }

  get (id: string): Client | undefined {
    return this.#clients.get(id)
  }

  clients (): IterableIterator<Client> {
    return this.#clients.values()
  }

  /**
   * Hands an envelope's bytes, unchanged, to each local client it targets. An adapter without per-channel
   * subscriptions hands over every channel's envelopes, so a channel's go to its local subscribers only.
   */
  deliver (envelope: Envelope): number {
    const target = envelope.target
    switch (target.kind) {
      case 'all':
        return this.#sendTo(this.#clients.values(), envelope.payload)
      case 'channel': {
        const recipients = this.routing?.recipients(target.channel, target.presence === true)
        const sent = recipients === undefined ? 0 : this.#sendTo(recipients.values(), envelope.payload)
        if (envelope.position !== undefined) this.routing?.positioned(target.channel, envelope)
        return sent
      }
      case 'command':
        // `*` (no instance id can be it) names every instance: a command on all of a user's connections
        if (target.instance === this.instanceId || target.instance === '*') this.routing?.command(envelope.payload)
        return 0
    }
  }

  /** Tells every client it may have missed messages, naming the channels it is subscribed to. */
  resync (resync: Resync) {
    let sent = 0
    for (const client of this.#clients.values()) {
      if (client.send(resyncNotification(resync, this.routing?.channelsOf(client) ?? []))) sent++
    }
    this.metrics.messagesSent.inc(sent)
  }

  #sendTo (clients: Iterable<Client>, payload: Buffer): number {
    const frame = textFrame(payload)
    let sent = 0
    for (const client of clients) {
      if (client.sendFrame(frame, payload)) sent++
    }
    this.metrics.messagesSent.inc(sent)
    return sent
  }

  /** Closes every client with `code` and resolves when all are gone, terminating stragglers at the deadline. */
  async closeAll (code: CloseCode, reason: string, timeoutMs: number): Promise<void> {
    const clients = [...this.#clients.values()]
    if (clients.length === 0) return
    const sockets = clients.map((client) => client.socket)
    const closed = clients.map((client) => new Promise<void>((resolve) => {
      if (client.socket.readyState === 3) return resolve()
      client.socket.once('close', () => resolve())
      client.close(code, reason)
    }))
    let timer: NodeJS.Timeout | undefined
    const deadline = new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs) })
    await Promise.race([Promise.all(closed), deadline])
    clearTimeout(timer)
    for (const socket of sockets) {
      if (socket.readyState !== 3) socket.terminate()
    }
  }
}

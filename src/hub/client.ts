import type { WebSocket } from 'ws'
import type { ChannelGrants } from '../auth/channel-grants.js'
import { CloseCode } from '../close-codes.js'
import type { FastPath } from '../fast-path/index.js'
import type { WsMetrics } from '../metrics.js'
import { replyFrame, textFrame } from './frame.js'

/** How long a slow consumer's close frame may wait behind its full buffer before the socket is destroyed. */
const SLOW_CONSUMER_GRACE_MS = 5_000

/** setTimeout's longest delay (2^31 - 1 ms, about 24.8 days); a longer one would fire at once. */
const MAX_TIMER_DELAY_MS = 2_147_483_647

/** Payloads are JSON: a Buffer must still go out as a text frame. */
const TEXT_FRAME = { binary: false } as const

/** What the host learns of a client: its id (unique across instances) and the token label it authenticated with. */
export interface ClientInfo {
  readonly id: string
  readonly identity: string | undefined
}

/** What a client reads of its `Hub`: declared here, so that the client does not import the hub above it. */
export interface ClientHost {
  readonly deflate: boolean
  readonly pauseReadingAboveBytes: number
  readonly maxBufferedBytes: number
  readonly isStopping: boolean
  readonly fastPath: FastPath
  readonly metrics: WsMetrics
  readonly budget: {
    account (client: Client, amount: number): void
    closing (client: Client): void
  }
}

/** One connected socket. Kept small: a server holds tens of thousands of these. */
export class Client {
  readonly id: string
  readonly socket: WebSocket
  readonly hub: ClientHost
  /** Non-secret label of the credential the client authenticated with (a token's name, a JWT's `sub`); undefined when auth is off. */
  identity: string | undefined
  /** The channel claims of its JWT; undefined when the token carries none (src/auth/channel-grants.ts). */
  grants: ChannelGrants | undefined = undefined
  /** Closes the connection at its token's `exp`; only set for a token that has one. */
  #expiryTimer: NodeJS.Timeout | undefined = undefined
  /** Cleared by each heartbeat ping, set again by the pong. */
  isAlive = true
  /** Which of the heartbeat's ticks pings this client (src/hub/heartbeat.ts): its sequence number on this instance. */
  readonly heartbeatSlot: number
  /** Message-rate bucket (src/rate/message-rate.ts): two numbers, no timer, per client. */
  rateTokens = 0
  rateRefilledAt = 0
  /** `bufferedAmount` after the last send, as the hub's buffer budget counted it (src/hub/buffer-budget.ts). */
  bufferedBytes = 0
  /** Reading is paused until the unsent replies drain (request-side backpressure) or for good (shutdown). */
  isReadPaused = false
  /** Set when the drain takes this client: its frames are no longer run, and reading never resumes. */
  isLeaving = false
  /** Requests read from this client whose answers are still being worked out (src/hub/in-flight.ts). */
  pendingAnswers = 0

  constructor (id: string, socket: WebSocket, hub: ClientHost, identity?: string, heartbeatSlot = 0) {
    this.id = id
    this.heartbeatSlot = heartbeatSlot
    this.socket = socket
    this.hub = hub
    this.identity = identity
  }

  get isOpen (): boolean {
    return this.socket.readyState === 1
  }

  /** Queues a text frame; a client that stopped reading is cut off instead of growing the buffer without bound. */
  send (data: Buffer | string): boolean {
    // a client that negotiated permessage-deflate gets ws's own framing, which compresses above the threshold
    if (this.hub.deflate && this.socket.extensions !== '') return this.#sendThroughWs(data)
    return this.sendFrame(typeof data === 'string' ? replyFrame(data) : textFrame(data), data)
  }

  /**
   * `send` with the frame already built: a broadcast frames its payload once for every recipient (see frame.ts).
   * It goes out uncompressed even on a deflate connection; RFC 7692 lets a sender leave any message uncompressed.
   */
  sendFrame (frame: Buffer | string, payload: Buffer | string): boolean {
    const buffered = this.#bufferedIfSendable()
    if (buffered === -1) return false
    const socket = this.socket
    if (!this.isReadPaused && buffered + frame.length > this.hub.pauseReadingAboveBytes) {
      this.#sendAndPause(payload)
    } else if (!this.hub.fastPath.writeFrame(socket, frame)) {
      // ws falls back to framing it itself when its sender still holds something, so order is kept
      socket.send(payload, TEXT_FRAME)
    }
    this.hub.budget.account(this, socket.bufferedAmount)
    return true
  }

  #sendThroughWs (data: Buffer | string): boolean {
    const buffered = this.#bufferedIfSendable()
    if (buffered === -1) return false
    if (!this.isReadPaused && buffered + data.length > this.hub.pauseReadingAboveBytes) this.#sendAndPause(data)
    else this.socket.send(data, TEXT_FRAME)
    this.hub.budget.account(this, this.socket.bufferedAmount)
    return true
  }

  /** The unsent bytes before this send, or -1 when the frame cannot be sent. */
  #bufferedIfSendable (): number {
    const socket = this.socket
    if (socket.readyState !== 1) return -1
    const buffered = socket.bufferedAmount
    if (buffered > this.hub.maxBufferedBytes) {
      this.#cutOff(this.hub.metrics.slowConsumerDisconnects, 'slow consumer')
      return -1
    }
    return buffered
  }

  /**
   * Replies pile up faster than the client reads them: stop reading its frames (TCP then slows the client down)
   * instead of running its requests and buffering their answers. This frame goes through ws's public `send`, whose
   * callback runs once it, and so all before it, has reached the kernel: reading resumes then.
   */
  #sendAndPause (payload: Buffer | string) {
    this.pauseReading()
    this.hub.metrics.readPauses.inc()
    this.socket.send(payload, TEXT_FRAME, () => this.#resumeReading())
  }

  /** Stops reading this client's frames; ws keeps them, and TCP the rest, until `#resumeReading`. */
  pauseReading () {
    if (this.isReadPaused) return
    this.isReadPaused = true
    this.socket.pause()
  }

  /** Reads the client's frames again after `pauseReading` (the per-user limit admitted it). */
  resumeReading () {
    this.#resumeReading()
  }

  #resumeReading () {
    // a stopping hub keeps every client paused, a draining one those it is closing: they answer only what was read
    if (!this.isReadPaused || this.isLeaving || this.hub.isStopping) return
    this.isReadPaused = false
    this.socket.resume()
  }

  /**
   * Closes the connection with 4401 at `expiresAt` (epoch ms), replacing any earlier deadline; undefined clears it.
   * One unref'd timer per connection at most, and none without an `exp`.
   */
  expireAt (expiresAt: number | undefined) {
    if (this.#expiryTimer !== undefined) clearTimeout(this.#expiryTimer)
    this.#expiryTimer = undefined
    if (expiresAt === undefined || !this.isOpen) return
    const delay = expiresAt - Date.now()
    this.#expiryTimer = setTimeout(() => {
      this.#expiryTimer = undefined
      if (Date.now() < expiresAt) this.expireAt(expiresAt)
      else if (this.isOpen) this.close(CloseCode.TokenExpired, 'token expired')
    }, Math.min(Math.max(delay, 0), MAX_TIMER_DELAY_MS)).unref()
  }

  close (code: number, reason: string) {
    this.socket.close(code, reason)
    // the peer's close frame must be read for the closing handshake; frames before it are dropped (connection.ts)
    if (this.isReadPaused) {
      this.isReadPaused = false
      this.socket.resume()
    }
  }

  /** Closed with 4008 by the hub's buffer budget: one of the largest consumers when the instance ran over. */
  dropOverBudget () {
    this.#cutOff(this.hub.metrics.bufferBudgetDisconnects, 'slow consumer')
  }

  #cutOff (counter: { inc (): void }, reason: string) {
    counter.inc()
    this.close(CloseCode.SlowConsumer, reason)
    this.hub.budget.closing(this)
    const socket = this.socket
    setTimeout(() => socket.terminate(), SLOW_CONSUMER_GRACE_MS).unref()
  }
}

import type { WebSocket } from 'ws'
import { CloseCode } from '../close-codes.js'
import { replyFrame, textFrame } from './frame.js'
import type { Hub } from './hub.js'

/** How long a slow consumer's close frame may wait behind its full buffer before the socket is destroyed. */
const SLOW_CONSUMER_GRACE_MS = 5_000

/** Payloads are JSON: a Buffer must still go out as a text frame. */
const TEXT_FRAME = { binary: false } as const

/** One connected socket. Kept small: a server holds tens of thousands of these. */
export class Client {
  readonly id: string
  readonly socket: WebSocket
  readonly hub: Hub
  /** Non-secret label of the credential the client authenticated with; undefined when auth is off. */
  identity: string | undefined
  /** Cleared by each heartbeat ping, set again by the pong. */
  isAlive = true
  /** Message-rate bucket (src/rate/message-rate.ts): two numbers, no timer, per client. */
  rateTokens = 0
  rateRefilledAt = 0

  constructor (id: string, socket: WebSocket, hub: Hub, identity?: string) {
    this.id = id
    this.socket = socket
    this.hub = hub
    this.identity = identity
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
    if (!this.#canSend()) return false
    // ws falls back to framing it itself when its sender still holds something, so order is kept
    if (!this.hub.fastPath.writeFrame(this.socket, frame)) this.socket.send(payload, TEXT_FRAME)
    return true
  }

  #sendThroughWs (data: Buffer | string): boolean {
    if (!this.#canSend()) return false
    this.socket.send(data, TEXT_FRAME)
    return true
  }

  #canSend (): boolean {
    const socket = this.socket
    if (socket.readyState !== 1) return false
    if (socket.bufferedAmount > this.hub.maxBufferedBytes) {
      this.#dropSlowConsumer()
      return false
    }
    return true
  }

  close (code: number, reason: string) {
    this.socket.close(code, reason)
  }

  #dropSlowConsumer () {
    this.hub.metrics.slowConsumerDisconnects.inc()
    this.close(CloseCode.SlowConsumer, 'slow consumer')
    const socket = this.socket
    setTimeout(() => socket.terminate(), SLOW_CONSUMER_GRACE_MS).unref()
  }
}

import { ErrorCode } from '../src/rpc/error-code.js'
import { ClientErrorCode, HubError } from './hub-error.js'
import type { HistoryOptions, HistoryResult, MessageParams, PresenceEvent, PresenceResult, StreamPosition, SubscribeResult } from './types.js'

/** What `subscribe(channel, options)` takes. */
export interface SubscribeOptions<T = unknown> {
  /** Each `message` of the channel, in order and once: recovered ones (after a reconnect) before live ones. */
  onMessage (message: MessageParams<T>): void
  /** A client joined the channel (with `presence: true`; the server sends your own join too). */
  onJoin? (event: PresenceEvent): void
  /** A client left the channel (with `presence: true`). */
  onLeave? (event: PresenceEvent): void
  /** Ask for `join`/`leave` notifications. Default `false`. */
  presence?: boolean
  /** After every (re)subscription, the first included, with the server's result: `recovered: false` means resync. */
  onSubscribed? (result: SubscribeResult): void
}

/** What a subscription needs from its client. */
export interface SubscriptionHost {
  request (method: string, params: unknown): Promise<unknown>
  isOpen (): boolean
  retryDelay (attempt: number): number
  forget (subscription: Subscription): void
  report (err: unknown): void
}

/** Answers that will not change on a retry: the subscription is dropped. */
const REFUSALS: ReadonlySet<unknown> = new Set([ErrorCode.NotAllowed, ErrorCode.TooManyChannels, ErrorCode.InvalidParams, ErrorCode.MethodNotFound])

/**
 * One channel of one client. It keeps the position of the last message delivered, holds live messages while a
 * (re)subscription is in flight, and delivers the answer's `publications` first, dropping any message already seen.
 */
export class Subscription<T = unknown> {
  readonly channel: string
  /** The first subscription's result; rejects when it was refused (-32010, -32011) or the client closed first. */
  readonly ready: Promise<SubscribeResult>
  readonly #host: SubscriptionHost
  readonly #options: SubscribeOptions<T>
  #isActive = true
  #position: StreamPosition | undefined
  /** Live messages received while a subscribe is in flight; `undefined` when none is. */
  #held: MessageParams<T>[] | undefined
  /** Bumped by each attempt and each drop, so a stale answer is ignored. */
  #attemptId = 0
  #retries = 0
  #retryTimer: ReturnType<typeof setTimeout> | undefined
  #settle: { resolve (result: SubscribeResult): void, reject (err: Error): void } | undefined

  constructor (channel: string, options: SubscribeOptions<T>, host: SubscriptionHost) {
    this.channel = channel
    this.#options = options
    this.#host = host
    this.ready = new Promise((resolve, reject) => { this.#settle = { resolve, reject } })
    // an app that never awaits `ready` must not get an unhandled rejection; one that awaits still sees it
    this.ready.catch(() => {})
  }

  /** The last delivered message's position (or the subscription's, when none came yet); `undefined` without history. */
  get position (): StreamPosition | undefined {
    return this.#position === undefined ? undefined : { ...this.#position }
  }

  /** Stops the callbacks at once; resolves once the server answered (at once when not connected). Never rejects. */
  async unsubscribe (): Promise<void> {
    if (!this.#isActive) return
    this.#end(new HubError(ClientErrorCode.Canceled, `unsubscribed from ${this.channel} before it was confirmed`))
    this.#host.forget(this)
    if (!this.#host.isOpen()) return
    // the server drops the subscription with the connection anyway, so a failure leaves nothing behind
    await this.#host.request('unsubscribe', { channel: this.channel }).catch(() => {})
  }

  /** Who is subscribed to the channel, across instances. */
  presence (): Promise<PresenceResult> {
    return this.#host.request('presence', { channel: this.channel }) as Promise<PresenceResult>
  }

  /** What the channel's history keeps (`history` with this channel). */
  history (options: HistoryOptions = {}): Promise<HistoryResult> {
    return this.#host.request('history', { ...options, channel: this.channel }) as Promise<HistoryResult>
  }

  /** Sends `subscribe` on the open connection, with `recover` from the last position when the channel keeps history. */
  subscribe (): void {
    if (!this.#isActive) return
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
    const attemptId = ++this.#attemptId
    this.#held ??= []
    const params = {
      channel: this.channel,
      ...(this.#options.presence === true ? { presence: true } : {}),
      ...(this.#position === undefined ? {} : { recover: this.#position })
    }
    this.#host.request('subscribe', params).then(
      (result) => { if (attemptId === this.#attemptId) this.#subscribed(result as SubscribeResult) },
      (err: HubError) => { if (attemptId === this.#attemptId) this.#failed(err) }
    )
  }

  /** The connection dropped: answers in flight are void, held messages will be recovered on the next connection. */
  reset (): void {
    this.#attemptId++
    this.#held = undefined
    this.#retries = 0
    clearTimeout(this.#retryTimer)
    this.#retryTimer = undefined
  }

  /** The client closed: no more callbacks, and `ready` rejects if it had not resolved. */
  close (err: Error): void {
    this.#end(err)
  }

  receive (message: MessageParams<T>): void {
    if (this.#held !== undefined) this.#held.push(message)
    else this.#deliver(message)
  }

  join (event: PresenceEvent): void {
    if (this.#isActive) this.#call(this.#options.onJoin, event)
  }

  leave (event: PresenceEvent): void {
    if (this.#isActive) this.#call(this.#options.onLeave, event)
  }

  #subscribed (result: SubscribeResult): void {
    const held = this.#held ?? []
    this.#held = undefined
    this.#retries = 0
    if (result.epoch === '') this.#position = undefined
    for (const publication of result.publications) this.#deliver(publication as MessageParams<T>)
    const position = this.#position
    if (result.epoch !== '' && (position === undefined || position.epoch !== result.epoch || position.offset < result.offset)) {
      this.#position = { offset: result.offset, epoch: result.epoch }
    }
    if (!this.#isActive) return
    this.#call(this.#options.onSubscribed, result)
    this.#settle?.resolve(result)
    this.#settle = undefined
    for (const message of held) this.#deliver(message)
  }

  #failed (err: HubError): void {
    if (err.code === ClientErrorCode.ConnectionReset || err.code === ClientErrorCode.Closed) return // the next connection subscribes again
    if (REFUSALS.has(err.code)) {
      const refused = new HubError(err.code, `subscribe ${this.channel}: ${err.message}`, err.data)
      const isFirst = this.#settle !== undefined
      this.#end(refused)
      this.#host.forget(this)
      // the first refusal goes to `ready`; a later one has no promise left to reject
      if (!isFirst) this.#host.report(refused)
      return
    }
    // transient (-32001, a timeout, a rate limit): try again on this connection, messages still held
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = undefined
      if (this.#host.isOpen()) this.subscribe()
    }, this.#host.retryDelay(this.#retries++))
  }

  #deliver (message: MessageParams<T>): void {
    if (!this.#isActive) return
    const { offset, epoch } = message
    if (typeof offset === 'number' && typeof epoch === 'string' && epoch !== '') {
      const last = this.#position
      if (last !== undefined && last.epoch === epoch && offset <= last.offset) return // seen already
      this.#position = { offset, epoch }
    }
    this.#call(this.#options.onMessage, message)
  }

  #call<A> (callback: ((arg: A) => void) | undefined, arg: A): void {
    if (callback === undefined) return
    try {
      callback(arg)
    } catch (err) {
      this.#host.report(err)
    }
  }

  #end (err: Error): void {
    this.#isActive = false
    this.reset()
    this.#settle?.reject(err)
    this.#settle = undefined
  }
}

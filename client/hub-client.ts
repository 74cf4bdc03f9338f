import { CloseCode } from '../src/close-codes.js'
import { backoffDelay } from './backoff.js'
import { Emitter } from './emitter.js'
import { ClientErrorCode, HubError } from './hub-error.js'
import { Liveness } from './liveness.js'
import { PendingCalls } from './pending-calls.js'
import { Subscription, type SubscribeOptions } from './subscription.js'
import { tokenProtocols } from './token-protocols.js'
import type { BroadcastParams, DefaultMethods, MessageParams, MethodsOf, ParamsArgument, PresenceEvent, ResyncParams } from './types.js'
import { resolveSettings, type HubClientOptions, type Settings } from './options.js'
import { Outbox } from './outbox.js'
import { detach, resolveWebSocket, type WebSocketConstructor, type WebSocketLike } from './websocket.js'

/** What `on(event, listener)` passes to the listener. */
export interface HubClientEvents {
  /** The socket is open; subscriptions are being restored and queued calls sent. */
  connected: undefined
  /**
   * An open connection dropped (`willReconnect: true`; failed retries after it are not reported), or the client
   * stopped for good (`willReconnect: false`: an auth refusal, `reconnect: false`, `close()`). Attempts that fail
   * before the first connection opens emit nothing.
   */
  disconnected: { code: number, reason: string, willReconnect: boolean }
  /** A `broadcast` notification's params. */
  broadcast: BroadcastParams
  /** A `resync` notification's params; the named subscriptions are restored with `recover` on their own. */
  resync: ResyncParams
  /** A refused resubscription, an auth refusal (code EAUTH), a `getToken` or callback that threw, a frame that was not JSON. */
  error: Error
}

export type HubClientState = 'connecting' | 'open' | 'reconnecting' | 'closed'

/** A connection open this long resets the backoff. */
const STABLE_MS = 5_000
const AUTH_CLOSE_CODES: ReadonlySet<number> = new Set([CloseCode.TokenExpired, CloseCode.Forbidden])
/** How `ws` reports a refused upgrade; the browser's and undici's WebSocket give no status. */
const HTTP_REFUSAL = /Unexpected server response: (40[13])/
/** The `disconnected` reason of a connection given up because nothing answered a ping (code 1006, as a lost link). */
const PING_TIMEOUT_REASON = 'no answer to ping'

/**
 * A JSON-RPC client of the hub that reconnects, restores its subscriptions with recovery, and types each call by
 * a method map `M`.
 */
export class HubClient<M extends MethodsOf<M> = DefaultMethods> extends Emitter<HubClientEvents> {
  readonly url: string
  readonly #options: HubClientOptions
  readonly #settings: Settings
  readonly #pending = new PendingCalls()
  readonly #subscriptions = new Map<string, Subscription<any>>()
  readonly #outbox = new Outbox()
  #state: HubClientState = 'connecting'
  #socket: WebSocketLike | undefined
  /** Bumped by each connection attempt and by `close()`, so a stale token or socket is dropped. */
  #attemptId = 0
  #reconnects = 0
  #reconnectTimer: ReturnType<typeof setTimeout> | undefined
  #openedAt = 0
  #httpRefusal: number | undefined
  #nextId = 1
  #webSocket: Promise<WebSocketConstructor> | undefined
  readonly #liveness: Liveness | undefined

  constructor (url: string, options: HubClientOptions = {}) {
    super()
    this.#settings = resolveSettings(url, options)
    this.url = url
    this.#options = options
    const { ping } = this.#settings
    this.#liveness = ping && new Liveness(ping, () => this.#ping(), () => this.#giveUp())
    this.#connect()
  }

  /**
   * `connecting` (never open yet, retries included), `open`, `reconnecting` (after a drop: waiting or trying again),
   * `closed` (for good). Each change but to `connecting` comes with a `connected` or `disconnected` event.
   */
  get state (): HubClientState {
    return this.#state
  }

  /** Calls sent or queued and not yet answered. */
  get pendingCalls (): number {
    return this.#pending.size
  }

  /**
   * Calls `method` and resolves with its result. Rejects with a `HubError`: the server's `code`, `message` and
   * `data`, or ETIMEDOUT, ECONNRESET (sent, then the connection dropped: it may have run), ECLOSED.
   */
  call<K extends keyof M & string> (method: K, ...args: ParamsArgument<M[K]['params']>): Promise<M[K]['result']> {
    return this.#request(method, args[0]) as Promise<M[K]['result']>
  }

  /** Sends a notification (no answer). While not connected it is queued, and dropped after `timeoutMs`. */
  notify<K extends keyof M & string> (method: K, ...args: ParamsArgument<M[K]['params']>): void {
    if (this.#state === 'closed') throw new HubError(ClientErrorCode.Closed, 'the client is closed')
    const frame = JSON.stringify({ jsonrpc: '2.0', method, params: args[0] })
    if (this.#state === 'open') this.#socket!.send(frame)
    else this.#outbox.addNotification(frame, this.#settings.timeoutMs)
  }

  /**
   * Subscribes to `channel` now and after every reconnect, recovering missed messages when the channel keeps
   * history. Throws EALREADY when this client already holds the channel (one subscription per channel).
   */
  subscribe<T = unknown> (channel: string, options: SubscribeOptions<T>): Subscription<T> {
    if (this.#state === 'closed') throw new HubError(ClientErrorCode.Closed, 'the client is closed')
    if (this.#subscriptions.has(channel)) throw new HubError(ClientErrorCode.AlreadySubscribed, `already subscribed to ${channel}: unsubscribe first`)
    const subscription = new Subscription<T>(channel, options, {
      request: (method, params) => this.#request(method, params),
      isOpen: () => this.#state === 'open',
      retryDelay: (attempt) => this.#backoff(attempt),
      forget: (sub) => { if (this.#subscriptions.get(sub.channel) === sub) this.#subscriptions.delete(sub.channel) },
      report: (err) => this.#report(err)
    })
    this.#subscriptions.set(channel, subscription)
    if (this.#state === 'open') subscription.subscribe()
    return subscription
  }

  /**
   * Closes for good, with `disconnected` (1000): calls in flight reject with ECONNRESET, queued ones with ECLOSED;
   * subscriptions end; no reconnect.
   */
  close (): void {
    if (this.#state === 'closed') return
    this.#stop()
    this.#emit('disconnected', { code: CloseCode.Normal, reason: 'closed by the client', willReconnect: false })
  }

  #request (method: string, params: unknown): Promise<unknown> {
    if (this.#state === 'closed') return Promise.reject(new HubError(ClientErrorCode.Closed, 'the client is closed'))
    const id = this.#nextId++
    const answer = this.#pending.add(id, method, this.#settings.timeoutMs, (expired) => this.#outbox.remove(expired))
    const frame = JSON.stringify(params === undefined ? { jsonrpc: '2.0', id, method } : { jsonrpc: '2.0', id, method, params })
    if (this.#state === 'open') this.#send(id, frame)
    else this.#outbox.addCall(id, frame)
    return answer
  }

  #send (id: number | undefined, frame: string): void {
    if (id !== undefined) this.#pending.markSent(id)
    this.#socket!.send(frame)
  }

  #backoff (attempt: number): number {
    return backoffDelay(attempt, this.#settings.minDelayMs, this.#settings.maxDelayMs)
  }

  #connect (): void {
    const attemptId = ++this.#attemptId
    this.#httpRefusal = undefined
    this.#webSocket ??= resolveWebSocket(this.#options.WebSocket)
    const { getToken, token } = this.#options
    Promise.all([this.#webSocket, getToken === undefined ? token : getToken()]).then(([WebSocket, currentToken]) => {
      if (attemptId !== this.#attemptId) return
      let socket: WebSocketLike
      try {
        socket = new WebSocket(this.url, tokenProtocols(currentToken))
      } catch (err) {
        this.#report(err)
        this.#afterClose(1006, String(err))
        return
      }
      this.#attach(socket)
    }, (err: unknown) => {
      if (attemptId !== this.#attemptId) return
      // no WebSocket class, or getToken failed: try again later, as after a failed attempt
      if (this.#options.WebSocket === undefined) this.#webSocket = undefined
      this.#report(err)
      this.#afterClose(1006, err instanceof Error ? err.message : String(err))
    })
  }

  /** One handler per event per socket, taken off when it closes. */
  #attach (socket: WebSocketLike): void {
    this.#socket = socket
    socket.onopen = () => this.#opened()
    socket.onmessage = (event) => this.#receive(event.data)
    socket.onerror = (event) => {
      const match = HTTP_REFUSAL.exec(String(event?.message ?? event?.error?.message ?? ''))
      if (match !== null) this.#httpRefusal = Number(match[1])
    }
    socket.onclose = (event) => {
      detach(socket)
      if (socket !== this.#socket) return
      this.#socket = undefined
      this.#afterClose(typeof event?.code === 'number' ? event.code : 1006, typeof event?.reason === 'string' ? event.reason : '')
    }
  }

  #opened (): void {
    this.#state = 'open'
    this.#openedAt = Date.now()
    this.#liveness?.start()
    // subscriptions first: a queued publish then reaches this client's own subscription
    for (const subscription of this.#subscriptions.values()) subscription.subscribe()
    this.#outbox.flush((frame, id) => this.#send(id, frame), (id) => this.#pending.has(id))
    this.#emit('connected', undefined)
  }

  #afterClose (code: number, reason: string): void {
    const wasOpen = this.#state === 'open'
    this.#liveness?.stop()
    for (const subscription of this.#subscriptions.values()) subscription.reset()
    this.#pending.rejectSent(new HubError(ClientErrorCode.ConnectionReset, 'the connection dropped before the answer; the call may have run'))
    const refusal = this.#httpRefusal ?? (AUTH_CLOSE_CODES.has(code) ? code : undefined)
    if (this.#httpRefusal !== undefined && reason === '') reason = `HTTP ${this.#httpRefusal}`
    if (refusal !== undefined || !this.#settings.reconnects) {
      this.#stop()
      this.#emit('disconnected', { code, reason, willReconnect: false })
      if (refusal !== undefined) {
        this.#report(new HubError(ClientErrorCode.Unauthorized, `the server refused the connection (${code === refusal ? `${code} ${reason}` : reason}); not reconnecting`, { code: refusal, reason }))
      }
      return
    }
    if (wasOpen && Date.now() - this.#openedAt >= STABLE_MS) this.#reconnects = 0
    // a draining server (1001) is left at once, unless the last reconnect did not hold
    const delay = code === CloseCode.GoingAway && this.#reconnects === 0 ? 0 : this.#backoff(this.#reconnects)
    this.#reconnects++
    this.#reconnectTimer = setTimeout(() => {
      this.#reconnectTimer = undefined
      this.#connect()
    }, delay)
    // once per drop: a retry that fails (or a first connection not yet made) is not news to the app
    if (!wasOpen) return
    this.#state = 'reconnecting'
    this.#emit('disconnected', { code, reason, willReconnect: true })
  }

  /** A call that no pending entry waits for: its answer is only a sign of life (`#receive`). */
  #ping (): void {
    this.#socket?.send(JSON.stringify({ jsonrpc: '2.0', id: this.#nextId++, method: 'rpc.ping' }))
  }

  /** Nothing came after a ping: the link is dead, and a close handshake on it would wait, so the socket goes now. */
  #giveUp (): void {
    const socket = this.#socket
    if (socket === undefined) return
    this.#socket = undefined
    detach(socket)
    if (socket.terminate !== undefined) socket.terminate()
    else socket.close(CloseCode.Normal)
    this.#afterClose(1006, PING_TIMEOUT_REASON)
  }

  #receive (data: unknown): void {
    this.#liveness?.heard()
    let message: unknown
    try {
      message = JSON.parse(String(data))
    } catch {
      this.#report(new HubError(ClientErrorCode.Protocol, 'the server sent a frame that is not JSON'))
      return
    }
    for (const item of Array.isArray(message) ? message : [message]) {
      if (typeof item !== 'object' || item === null) continue
      if (typeof item.method === 'string') this.#notification(item.method, item.params)
      else this.#pending.settle(item.id, item)
    }
  }

  #notification (method: string, params: any): void {
    if (typeof params !== 'object' || params === null) return
    if (method === 'message') this.#subscriptions.get(params.channel)?.receive(params as MessageParams)
    else if (method === 'join') this.#subscriptions.get(params.channel)?.join(params as PresenceEvent)
    else if (method === 'leave') this.#subscriptions.get(params.channel)?.leave(params as PresenceEvent)
    else if (method === 'broadcast') this.#emit('broadcast', params as BroadcastParams)
    else if (method === 'resync') this.#resync(params as ResyncParams)
  }

  /** The instance may have missed messages: the named subscriptions (all, without a list) subscribe again with `recover`. */
  #resync (params: ResyncParams): void {
    const channels = Array.isArray(params.channels) ? params.channels : [...this.#subscriptions.keys()]
    for (const channel of channels) this.#subscriptions.get(channel)?.subscribe()
    this.#emit('resync', params)
  }

  #stop (): void {
    this.#state = 'closed'
    this.#attemptId++
    this.#liveness?.stop()
    clearTimeout(this.#reconnectTimer)
    this.#reconnectTimer = undefined
    const socket = this.#socket
    this.#socket = undefined
    if (socket !== undefined) {
      detach(socket)
      socket.close(CloseCode.Normal)
    }
    this.#outbox.clear()
    const closed = new HubError(ClientErrorCode.Closed, 'the client is closed')
    this.#pending.rejectAll(new HubError(ClientErrorCode.ConnectionReset, 'the client closed before the answer; the call may have run'), closed)
    for (const subscription of this.#subscriptions.values()) subscription.close(closed)
    this.#subscriptions.clear()
  }

  #emit<E extends keyof HubClientEvents> (event: E, payload: HubClientEvents[E]): void {
    this.emit(event, payload, (err) => this.#report(err))
  }

  #report (err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err))
    // an `error` listener that throws is rethrown outside, not fed back to itself
    this.emit('error', error, (thrown) => queueMicrotask(() => { throw thrown }))
  }
}

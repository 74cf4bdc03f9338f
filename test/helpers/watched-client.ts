import type { TestContext } from 'node:test'
import { HubClient, type HubClientOptions, type MessageParams, type ResyncParams, type SubscribeResult, type Subscription } from '../../client/index.js'

/** Something a `HubClient` told the app, and when (`performance.now()`). */
export type Heard =
  | { kind: 'connected', at: number }
  | { kind: 'disconnected', at: number, code: number, reason: string, willReconnect: boolean }
  | { kind: 'error', at: number, error: Error & { code?: unknown, data?: unknown } }
  | { kind: 'resync', at: number, params: ResyncParams }
  | { kind: 'message', at: number, params: MessageParams }
  | { kind: 'subscribed', at: number, result: SubscribeResult }

interface Watcher {
  check: () => boolean
  resolve: () => void
}

/**
 * A `HubClient` with a listener on every event and callback, kept in one log in arrival order, so a test can tell a
 * recovered message from a live one, and see where each (re)subscription and (dis)connection fell among them.
 */
export class WatchedClient {
  readonly client: HubClient
  readonly heard: Heard[] = []
  readonly #watchers = new Set<Watcher>()

  constructor (url: string, options: HubClientOptions) {
    this.client = new HubClient(url, options)
    this.client.on('connected', () => this.#hear({ kind: 'connected', at: performance.now() }))
    this.client.on('disconnected', ({ code, reason, willReconnect }) => this.#hear({ kind: 'disconnected', at: performance.now(), code, reason, willReconnect }))
    this.client.on('error', (error) => this.#hear({ kind: 'error', at: performance.now(), error }))
    this.client.on('resync', (params) => this.#hear({ kind: 'resync', at: performance.now(), params }))
  }

  /** Subscribes with every callback recorded here. */
  subscribe (channel: string, presence = false): Subscription {
    return this.client.subscribe(channel, {
      presence,
      onMessage: (params) => this.#hear({ kind: 'message', at: performance.now(), params }),
      onSubscribed: (result) => this.#hear({ kind: 'subscribed', at: performance.now(), result })
    })
  }

  /** The `message` params delivered for `channel`, in order. */
  messagesOf (channel: string): MessageParams[] {
    return this.heard.flatMap((entry) => entry.kind === 'message' && entry.params.channel === channel ? [entry.params] : [])
  }

  /** The `data` of each message delivered for `channel`, in order. */
  dataOf (channel: string): unknown[] {
    return this.messagesOf(channel).map((message) => message.data)
  }

  /** Each `onSubscribed` result for `channel`, in order. */
  subscribedOf (channel: string): SubscribeResult[] {
    return this.heard.flatMap((entry) => entry.kind === 'subscribed' && entry.result.channel === channel ? [entry.result] : [])
  }

  /** The entries of one kind, in order. */
  of<K extends Heard['kind']> (kind: K): Array<Extract<Heard, { kind: K }>> {
    return this.heard.filter((entry): entry is Extract<Heard, { kind: K }> => entry.kind === kind)
  }

  /** Resolves once `check` holds, tested now and after each event; rejects after `deadlineMs` naming `what`. */
  until (check: () => boolean, what: string, deadlineMs = 15_000): Promise<void> {
    if (check()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#watchers.delete(watcher)
        reject(new Error(`${what}: not within ${deadlineMs} ms; heard ${this.summary()}`))
      }, deadlineMs)
      const watcher: Watcher = { check, resolve: () => { clearTimeout(timer); resolve() } }
      this.#watchers.add(watcher)
    })
  }

  /** The log in short, for a failure message: kinds with their codes, messages counted per run. */
  summary (): string {
    const parts: string[] = []
    let run = 0
    for (const entry of this.heard) {
      if (entry.kind === 'message') { run++; continue }
      if (run > 0) parts.push(`${run} messages`)
      run = 0
      if (entry.kind === 'disconnected') parts.push(`disconnected ${entry.code}`)
      else if (entry.kind === 'error') parts.push(`error ${String(entry.error.code)} ${entry.error.message}`)
      else if (entry.kind === 'subscribed') parts.push(`subscribed ${entry.result.channel} recovered=${entry.result.recovered} offset=${entry.result.offset} +${entry.result.publications.length}`)
      else parts.push(entry.kind)
    }
    if (run > 0) parts.push(`${run} messages`)
    return parts.join(', ')
  }

  #hear (entry: Heard): void {
    this.heard.push(entry)
    for (const watcher of [...this.#watchers]) {
      if (watcher.check()) {
        this.#watchers.delete(watcher)
        watcher.resolve()
      }
    }
  }
}

const watchedIn = new WeakMap<TestContext, WatchedClient[]>()

/** A `WatchedClient`, closed after the test. */
export function watchClient (t: TestContext, url: string, options: HubClientOptions = {}): WatchedClient {
  const watched = new WatchedClient(url, options)
  watchedIn.set(t, [...watchedIn.get(t) ?? [], watched])
  t.after(() => watched.client.close())
  return watched
}

/** Diagnostics for a failure: what each client of the test heard, in short. */
export function describeClients (t: TestContext): void {
  for (const [i, watched] of (watchedIn.get(t) ?? []).entries()) t.diagnostic(`client ${i} (${watched.client.url}): ${watched.summary()}`)
}

import type { Logger } from '../logger.js'

/**
 * Whether an adapter can reach its broker, with one log line per change rather than one per retry.
 * It also settles start-up: the first success or the first failure ends the wait in `firstAttempt`.
 * A fault (publishes failing on a live connection, say) degrades it too, without counting as a lost link.
 */
export class LinkState {
  readonly #log: Logger
  readonly #fields: Record<string, unknown>
  #connected = false
  #everConnected = false
  #lastError: Error | undefined
  #settle: (() => void) | undefined
  readonly #settled: Promise<void>
  /** Since when the link has been down; at start-up, since the adapter was built: nothing was received before. */
  #lostAt: number | undefined = Date.now()
  readonly #faults = new Map<string, string>()
  /** Called as the link comes back, with when it was lost; the instance may have missed what was sent meanwhile. */
  onRecovered: (lostAt: number) => void = () => {}

  constructor (log: Logger, fields: Record<string, unknown>) {
    this.#log = log
    this.#fields = fields
    this.#settled = new Promise((resolve) => { this.#settle = resolve })
  }

  /** Linked and free of faults: what `/health` and `ws_pubsub_connected` show. */
  get isConnected () {
    return this.#connected && this.#faults.size === 0
  }

  /** Linked, faults or not: publishing may be tried (a publish is how a publish fault clears). */
  get isLinked () {
    return this.#connected
  }

  up () {
    if (this.#connected) return
    this.#connected = true
    this.#log.info(this.#fields, this.#everConnected ? 'PubSub broker reconnected' : 'PubSub broker connected')
    this.#everConnected = true
    this.#settle?.()
    const lostAt = this.#lostAt
    this.#lostAt = undefined
    if (lostAt !== undefined) this.onRecovered(lostAt)
  }

  down (err?: Error) {
    this.#lastError = err ?? this.#lastError
    this.#settle?.()
    if (!this.#connected) {
      this.#log.debug({ ...this.#fields, err: err?.message }, 'PubSub broker connection attempt failed')
      return
    }
    this.#connected = false
    this.#lostAt = Date.now()
    this.#log.warn({ ...this.#fields, err: err?.message }, 'PubSub broker connection lost; broadcasts answer -32001 until it is back')
  }

  /** Degrades the adapter for `name` (one line when it starts) until `clear(name)`. */
  fault (name: string, err: Error) {
    if (this.#faults.has(name)) return
    this.#faults.set(name, err.message)
    this.#log.warn({ ...this.#fields, fault: name, err: err.message }, 'PubSub degraded; /health answers 503 until it clears')
  }

  clear (name: string) {
    if (!this.#faults.delete(name)) return
    this.#log.info({ ...this.#fields, fault: name }, 'PubSub fault cleared')
  }

  hasFault (name: string) {
    return this.#faults.has(name)
  }

  /** Resolves with `isConnected` once the first attempt has ended, or after `timeoutMs`. */
  async firstAttempt (timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    await Promise.race([this.#settled, new Promise<void>((resolve) => { timer = setTimeout(resolve, timeoutMs) })])
    clearTimeout(timer)
    if (!this.#connected) {
      this.#log.warn({ ...this.#fields, err: this.#lastError?.message }, 'PubSub broker unreachable at start-up; serving with /health 503 and retrying in the background')
    }
    return this.#connected
  }
}

import type { Logger } from '../logger.js'

/**
 * Whether an adapter can reach its broker, with one log line per change rather than one per retry.
 * It also settles start-up: the first success or the first failure ends the wait in `firstAttempt`.
 */
export class LinkState {
  readonly #log: Logger
  readonly #fields: Record<string, unknown>
  #connected = false
  #everConnected = false
  #lastError: Error | undefined
  #settle: (() => void) | undefined
  readonly #settled: Promise<void>

  constructor (log: Logger, fields: Record<string, unknown>) {
    this.#log = log
    this.#fields = fields
    this.#settled = new Promise((resolve) => { this.#settle = resolve })
  }

  get isConnected () {
    return this.#connected
  }

  up () {
    if (this.#connected) return
    this.#connected = true
    this.#log.info(this.#fields, this.#everConnected ? 'PubSub broker reconnected' : 'PubSub broker connected')
    this.#everConnected = true
    this.#settle?.()
  }

  down (err?: Error) {
    this.#lastError = err ?? this.#lastError
    this.#settle?.()
    if (!this.#connected) {
      this.#log.debug({ ...this.#fields, err: err?.message }, 'PubSub broker connection attempt failed')
      return
    }
    this.#connected = false
    this.#log.warn({ ...this.#fields, err: err?.message }, 'PubSub broker connection lost; broadcasts answer -32001 until it is back')
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

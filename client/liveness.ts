/**
 * Watches an open connection for life, for runtimes that cannot see WebSocket pings (browsers): after `intervalMs`
 * with nothing received it sends a ping, and when no frame at all arrives within `timeoutMs` of it, `onSilent`
 * gives the connection up. One timer at a time; `stop()` clears it.
 */
export class Liveness {
  readonly #intervalMs: number
  readonly #timeoutMs: number
  readonly #ping: () => void
  readonly #onSilent: () => void
  #timer: ReturnType<typeof setTimeout> | undefined
  #lastHeard = 0
  /** A ping went out and nothing has come since. */
  #awaitingLife = false

  constructor ({ intervalMs, timeoutMs }: { intervalMs: number, timeoutMs: number }, ping: () => void, onSilent: () => void) {
    this.#intervalMs = intervalMs
    this.#timeoutMs = timeoutMs
    this.#ping = ping
    this.#onSilent = onSilent
  }

  start (): void {
    this.stop()
    this.#lastHeard = performance.now()
    this.#wait(this.#intervalMs)
  }

  /** Any frame counts as life: a timestamp, and the timer moved only when it answers a ping. */
  heard (): void {
    this.#lastHeard = performance.now()
    if (!this.#awaitingLife) return
    this.#awaitingLife = false
    clearTimeout(this.#timer)
    this.#wait(this.#intervalMs)
  }

  stop (): void {
    clearTimeout(this.#timer)
    this.#timer = undefined
    this.#awaitingLife = false
  }

  #wait (delay: number): void {
    this.#timer = setTimeout(() => this.#check(), delay)
  }

  #check (): void {
    this.#timer = undefined
    if (this.#awaitingLife) {
      this.#awaitingLife = false
      this.#onSilent()
      return
    }
    const idle = performance.now() - this.#lastHeard
    if (idle < this.#intervalMs) return this.#wait(this.#intervalMs - idle)
    this.#awaitingLife = true
    this.#ping()
    this.#wait(this.#timeoutMs)
  }
}

import type { Logger } from '../logger.js'

/** A foreign publisher can flood the channel; one warning per interval says so without flooding the log too. */
export const MALFORMED_LOG_INTERVAL_MS = 10_000

/** Logs the first malformed message of each interval, with how many were dropped silently since the last line. */
export class MalformedLog {
  readonly #log: Logger
  readonly #intervalMs: number
  readonly #now: () => number
  #lastAt = -Infinity
  #suppressed = 0

  constructor (log: Logger, intervalMs = MALFORMED_LOG_INTERVAL_MS, now: () => number = Date.now) {
    this.#log = log
    this.#intervalMs = intervalMs
    this.#now = now
  }

  note (err: Error) {
    const now = this.#now()
    if (now - this.#lastAt < this.#intervalMs) {
      this.#suppressed++
      return
    }
    this.#log.warn({ reason: err.message, droppedSinceLastLog: this.#suppressed }, 'dropped a malformed pub/sub message')
    this.#lastAt = now
    this.#suppressed = 0
  }
}

/** Answers still being worked out (an awaited method, a batch): shutdown waits for them before it closes clients. */
export class InFlight {
  count = 0
  #onSettled: (() => void) | undefined

  track (answer: Promise<unknown>) {
    this.count++
    answer.then(this.#settle, this.#settle)
  }

  /** Resolves true once nothing is in flight, or false after `timeoutMs`. */
  settled (timeoutMs: number): Promise<boolean> {
    if (this.count === 0) return Promise.resolve(true)
    return new Promise((resolve) => {
      const timer = setTimeout(() => { this.#onSettled = undefined; resolve(false) }, timeoutMs)
      this.#onSettled = () => { clearTimeout(timer); resolve(true) }
    })
  }

  #settle = () => {
    if (--this.count === 0 && this.#onSettled !== undefined) {
      const done = this.#onSettled
      this.#onSettled = undefined
      done()
    }
  }
}

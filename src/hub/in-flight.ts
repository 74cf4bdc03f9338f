/** What `InFlight` counts on each client: requests read from it whose answers are not out yet. */
export interface AnswerOwner {
  pendingAnswers: number
}

/**
 * Answers still being worked out (an awaited method, a batch): shutdown waits for them before it closes clients,
 * and the drain for those of the clients in each batch.
 */
export class InFlight {
  count = 0
  readonly #waiters = new Set<() => void>()

  track (answer: Promise<unknown>, owner: AnswerOwner) {
    this.count++
    owner.pendingAnswers++
    const settle = () => {
      this.count--
      owner.pendingAnswers--
      for (const waiter of this.#waiters) waiter()
    }
    answer.then(settle, settle)
  }

  /** Resolves true once nothing is in flight, or false after `timeoutMs`. */
  settled (timeoutMs: number): Promise<boolean> {
    return this.until(() => this.count === 0, timeoutMs)
  }

  /** Resolves true once none of `owners` awaits an answer, or false after `timeoutMs`. */
  settledFor (owners: readonly AnswerOwner[], timeoutMs: number): Promise<boolean> {
    return this.until(() => owners.every((owner) => owner.pendingAnswers === 0), timeoutMs)
  }

  /** Resolves true once `isDone` holds (checked now and after each answer), or false after `timeoutMs`. */
  until (isDone: () => boolean, timeoutMs: number): Promise<boolean> {
    if (isDone()) return Promise.resolve(true)
    return new Promise((resolve) => {
      const finish = (result: boolean) => {
        clearTimeout(timer)
        this.#waiters.delete(check)
        resolve(result)
      }
      const check = () => { if (isDone()) finish(true) }
      const timer = setTimeout(() => finish(false), timeoutMs)
      this.#waiters.add(check)
    })
  }
}

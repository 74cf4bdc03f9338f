import { ClientErrorCode, HubError } from './hub-error.js'

interface PendingCall {
  resolve (result: unknown): void
  reject (err: Error): void
  timer: ReturnType<typeof setTimeout>
  /** Written to a socket; a call still queued is not, and survives a dropped connection. */
  isSent: boolean
}

/** A JSON-RPC error object as the server writes it. */
interface ErrorObject {
  code?: unknown
  message?: unknown
  data?: unknown
}

/** The calls waiting for an answer, by request id; each has its own deadline. */
export class PendingCalls {
  readonly #calls = new Map<number, PendingCall>()

  get size (): number {
    return this.#calls.size
  }

  /** The answer's promise; after `timeoutMs` it rejects with ETIMEDOUT and `onExpire` drops the call from any queue. */
  add (id: number, method: string, timeoutMs: number, onExpire: (id: number) => void): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#calls.delete(id)
        onExpire(id)
        reject(new HubError(ClientErrorCode.Timeout, `${method}: no answer within ${timeoutMs} ms`))
      }, timeoutMs)
      this.#calls.set(id, { resolve, reject, timer, isSent: false })
    })
  }

  has (id: number): boolean {
    return this.#calls.has(id)
  }

  markSent (id: number): void {
    const call = this.#calls.get(id)
    if (call !== undefined) call.isSent = true
  }

  /** Settles the call an answer is for; an answer to no pending call (one that timed out) is ignored. */
  settle (id: unknown, answer: { result?: unknown, error?: ErrorObject }): void {
    if (typeof id !== 'number') return
    const call = this.#calls.get(id)
    if (call === undefined) return
    this.#take(id, call)
    const error = answer.error
    if (error !== undefined && error !== null) {
      const code = typeof error.code === 'number' ? error.code : -32603
      call.reject(new HubError(code, typeof error.message === 'string' ? error.message : 'error', error.data))
    } else {
      call.resolve(answer.result)
    }
  }

  /** Rejects the calls written to a socket that is gone; queued ones stay for the next connection. */
  rejectSent (err: Error): void {
    for (const [id, call] of this.#calls) {
      if (call.isSent) {
        this.#take(id, call)
        call.reject(err)
      }
    }
  }

  /** Rejects every call: `sent` for those written to a socket, `queued` for the others. */
  rejectAll (sent: Error, queued: Error): void {
    for (const [id, call] of this.#calls) {
      this.#take(id, call)
      call.reject(call.isSent ? sent : queued)
    }
  }

  #take (id: number, call: PendingCall): void {
    clearTimeout(call.timer)
    this.#calls.delete(id)
  }
}

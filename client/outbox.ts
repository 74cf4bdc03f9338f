interface Queued {
  frame: string
  /** A call's id: it goes out only while the call is still pending (not timed out). */
  id?: number
  /** A notification is dropped once this passes (epoch ms). */
  expiresAt: number
}

/** Frames written while the socket is down, sent in order once it opens. */
export class Outbox {
  #queued: Queued[] = []

  /** A call's frame; it leaves with `remove(id)` when the call times out. */
  addCall (id: number, frame: string): void {
    this.#add({ frame, id, expiresAt: Infinity })
  }

  /** A notification's frame, dropped if the socket does not open within `ttlMs`. */
  addNotification (frame: string, ttlMs: number): void {
    this.#add({ frame, expiresAt: Date.now() + ttlMs })
  }

  remove (id: number): void {
    const index = this.#queued.findIndex((queued) => queued.id === id)
    if (index !== -1) this.#queued.splice(index, 1)
  }

  /** Empties the queue through `send`: calls still pending and notifications not expired. */
  flush (send: (frame: string, id: number | undefined) => void, isPending: (id: number) => boolean): void {
    const now = Date.now()
    for (const { frame, id, expiresAt } of this.#queued.splice(0)) {
      if (id === undefined ? expiresAt > now : isPending(id)) send(frame, id)
    }
  }

  clear (): void {
    this.#queued = []
  }

  #add (item: Queued): void {
    const now = Date.now()
    this.#queued = this.#queued.filter((queued) => queued.expiresAt > now)
    this.#queued.push(item)
  }
}

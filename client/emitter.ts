type Listener = (payload: never) => void

/** A small typed event emitter: no Node `events` in the browser bundle. */
export class Emitter<Events extends object> {
  readonly #listeners = new Map<keyof Events, Set<Listener>>()

  on<E extends keyof Events> (event: E, listener: (payload: Events[E]) => void): this {
    let set = this.#listeners.get(event)
    if (set === undefined) this.#listeners.set(event, set = new Set())
    set.add(listener as Listener)
    return this
  }

  off<E extends keyof Events> (event: E, listener: (payload: Events[E]) => void): this {
    const set = this.#listeners.get(event)
    set?.delete(listener as Listener)
    if (set?.size === 0) this.#listeners.delete(event)
    return this
  }

  /** Calls each listener; one that throws does not stop the others, and its error is passed to `onThrow`. */
  protected emit<E extends keyof Events> (event: E, payload: Events[E], onThrow: (err: unknown) => void): void {
    const set = this.#listeners.get(event)
    if (set === undefined) return
    for (const listener of [...set]) {
      try {
        (listener as (payload: Events[E]) => void)(payload)
      } catch (err) {
        onThrow(err)
      }
    }
  }

  protected listenerCount (event: keyof Events): number {
    return this.#listeners.get(event)?.size ?? 0
  }
}

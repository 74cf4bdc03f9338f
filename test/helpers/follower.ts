import type { TestContext } from 'node:test'
import { connect, type TestClient } from './client.js'

/** The params of a channel `message` notification with history on: where it sits, and what it carries. */
export interface Positioned {
  channel: string
  data: unknown
  from: string
  offset: number
  epoch: string
}

export interface ResyncParams {
  reason: string
  since: number
  scope: string
  channels: string[]
}

/** What a follower saw, in arrival order: a live message, a resync, or the answer to one of its calls. */
export type Seen = { kind: 'message', params: Positioned } | { kind: 'resync', params: ResyncParams } | { kind: 'answer', id: string }

interface Watcher {
  check: () => boolean
  resolve: () => void
}

let followers = 0

/**
 * A client that makes calls while channel messages stream in: one reader takes every frame, answers go to their
 * call, `message` notifications to `messages` and `resync` ones to `resyncs`, and `log` keeps the arrival order
 * of all three, so a test can tell a message that came before an answer (or a resync) from one that came after it.
 */
export class Follower {
  readonly client: TestClient
  readonly messages: Positioned[] = []
  readonly resyncs: ResyncParams[] = []
  readonly log: Seen[] = []
  readonly #calls = new Map<string, { resolve: (frame: any) => void, reject: (err: Error) => void }>()
  readonly #watchers = new Set<Watcher>()
  readonly #tag = `f${followers++}`
  #ids = 0
  #ended: Error | undefined

  constructor (client: TestClient) {
    this.client = client
    this.#read().catch(() => {})
  }

  /** Sends a request and resolves with its whole response frame. */
  call (method: string, params: unknown): Promise<any> {
    if (this.#ended !== undefined) return Promise.reject(this.#ended)
    const id = `${this.#tag}.${this.#ids++}`
    const answered = new Promise((resolve, reject) => this.#calls.set(id, { resolve, reject }))
    this.client.send({ jsonrpc: '2.0', id, method, params })
    return answered
  }

  /** The last message that came before the first resync: where a client that was told to resync recovers from. */
  get positionAtResync (): Positioned | undefined {
    let last: Positioned | undefined
    for (const seen of this.log) {
      if (seen.kind === 'resync') return last
      if (seen.kind === 'message') last = seen.params
    }
    return undefined
  }

  /**
   * Resolves once `check` holds, tested now and after each frame; rejects after `deadlineMs` (or when the
   * connection ends) with `what` and the last message seen.
   */
  until (check: () => boolean, what: string, deadlineMs = 10_000): Promise<void> {
    if (check()) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        this.#watchers.delete(watcher)
        const last = this.messages.at(-1)
        reject(new Error(`${what}: ${why}; ${this.messages.length} messages, the last at offset ${last?.offset ?? 'none'}`))
      }
      const timer = setTimeout(() => fail(`not within ${deadlineMs} ms`), deadlineMs)
      const watcher: Watcher = {
        check,
        resolve: () => {
          clearTimeout(timer)
          resolve()
        }
      }
      this.#watchers.add(watcher)
      this.client.closed.then(() => { if (this.#watchers.has(watcher)) { clearTimeout(timer); fail('the connection closed') } })
    })
  }

  async #read () {
    for (;;) {
      let frame: any
      try {
        frame = await this.client.next()
      } catch (err) {
        this.#ended = err as Error
        for (const call of this.#calls.values()) call.reject(this.#ended)
        this.#calls.clear()
        return
      }
      if (frame.method === 'message') {
        this.messages.push(frame.params)
        this.log.push({ kind: 'message', params: frame.params })
      } else if (frame.method === 'resync') {
        this.resyncs.push(frame.params)
        this.log.push({ kind: 'resync', params: frame.params })
      } else if (typeof frame.id === 'string' && this.#calls.has(frame.id)) {
        this.log.push({ kind: 'answer', id: frame.id })
        const call = this.#calls.get(frame.id)!
        this.#calls.delete(frame.id)
        call.resolve(frame)
      } else {
        throw new Error(`unexpected frame ${JSON.stringify(frame)}`)
      }
      for (const watcher of [...this.#watchers]) {
        if (watcher.check()) {
          this.#watchers.delete(watcher)
          watcher.resolve()
        }
      }
    }
  }
}

export async function follow (t: TestContext, url: string): Promise<Follower> {
  return new Follower(await connect(t, url))
}

/** An acknowledged publish: the position the broker gave it and what it carried. */
export interface Ack {
  offset: number
  epoch: string
  data: string
}

/**
 * A client publishing `<tag>-<n>` to one channel, one at a time, each after the previous answer, until stopped or
 * `max` were sent. Every answer is sorted: `acked` (with its position) or `refused` (the whole error). After a
 * refusal it waits `refusedPauseMs`, so that a loop against a broker that is away does not spin through `max`.
 */
export class PublishLoop {
  readonly acked: Ack[] = []
  readonly refused: unknown[] = []
  readonly done: Promise<void>
  readonly #publisher: Follower
  readonly #waiters = new Set<{ count: number, resolve: () => void }>()
  #stopped = false

  constructor (publisher: Follower, channel: string, tag: string, max: number, refusedPauseMs = 0) {
    this.#publisher = publisher
    this.done = this.#run(channel, tag, max, refusedPauseMs)
  }

  get sent (): number {
    return this.acked.length + this.refused.length
  }

  /** Stops after the publish in flight, and resolves once its answer came. */
  async stop (): Promise<void> {
    this.#stopped = true
    await this.done
  }

  /** Resolves once `count` publishes in all were acknowledged; rejects past `deadlineMs`. */
  whenAcked (count: number, deadlineMs = 10_000): Promise<void> {
    if (this.acked.length >= count) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const waiter = { count, resolve: () => { clearTimeout(timer); resolve() } }
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter)
        reject(new Error(`${this.acked.length} of ${count} publishes acknowledged after ${deadlineMs} ms (${this.refused.length} refused)`))
      }, deadlineMs)
      this.#waiters.add(waiter)
      this.done.then(() => {
        if (!this.#waiters.delete(waiter)) return
        clearTimeout(timer)
        reject(new Error(`the loop ended with ${this.acked.length} of ${count} publishes acknowledged (${this.refused.length} refused)`))
      })
    })
  }

  async #run (channel: string, tag: string, max: number, refusedPauseMs: number) {
    for (let n = 0; n < max && !this.#stopped; n++) {
      const data = `${tag}-${n}`
      const answer = await this.#publisher.call('publish', { channel, data })
      if (answer.result !== undefined) this.acked.push({ offset: answer.result.offset, epoch: answer.result.epoch, data })
      else this.refused.push(answer.error)
      if (answer.error !== undefined && refusedPauseMs > 0) await new Promise((resolve) => setTimeout(resolve, refusedPauseMs))
      for (const waiter of [...this.#waiters]) {
        if (this.acked.length >= waiter.count) {
          this.#waiters.delete(waiter)
          waiter.resolve()
        }
      }
    }
  }
}

/** Offsets `from`..`to`, both included. */
export function range (from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i)
}

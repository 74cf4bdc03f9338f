import { setTimeout as sleep } from 'node:timers/promises'
import WebSocket from 'ws'

/** One time a subscriber's connection closed and it came back. */
export interface Comeback {
  code: number
  closedAt: number
  /** When the new connection opened (its upgrade was accepted), `performance.now()`. */
  openedAt: number
  /** Connection attempts it took, 1 when the first was accepted. */
  attempts: number
  recovered: boolean
}

const MAX_ATTEMPTS = 40
const RETRY_STEP_MS = 25

/**
 * A channel subscriber as a real app writes one: it remembers the position of the last message it saw, and when its
 * connection closes it connects again to `url` at once (retrying a refused attempt a few times, each a little later)
 * and subscribes with `recover` from that position. `offsets` keeps every offset it received, live or recovered, in
 * arrival order, so a test can see a hole or a repeat across any number of comebacks.
 */
export class Subscriber {
  readonly url: string
  readonly channel: string
  readonly offsets: number[] = []
  readonly comebacks: Comeback[] = []
  /** Messages of another epoch than the first answer's; none is expected. */
  readonly foreignEpochs: string[] = []
  startOffset = 0
  epoch = ''
  failedAttempts = 0
  #ws: WebSocket | undefined
  #isStopped = false
  #back: Promise<void> = Promise.resolve()
  #ids = 0
  readonly #calls = new Map<number, { resolve: (frame: any) => void, reject: (err: Error) => void }>()
  readonly #waiters = new Set<{ offset: number, resolve: () => void }>()

  readonly #onClose: (subscriber: Subscriber) => void

  /** `onClose` hears of each close that the subscriber comes back from. */
  constructor (url: string, channel: string, onClose: (subscriber: Subscriber) => void = () => {}) {
    this.url = url
    this.channel = channel
    this.#onClose = onClose
  }

  get lastOffset (): number {
    return this.offsets.at(-1) ?? this.startOffset
  }

  /** Connects and subscribes without recovery: the position it starts from is the answer's. */
  async start (): Promise<void> {
    const ws = await this.#open()
    const answer = await this.#call(ws, { channel: this.channel })
    if (answer.result?.subscribed !== true) throw new Error(`subscribe answered ${JSON.stringify(answer)}`)
    this.epoch = answer.result.epoch
    this.startOffset = answer.result.offset
    this.#watch(ws)
  }

  /** Resolves once the subscriber is connected and subscribed again after its last close; rejects when it gave up. */
  whenBack (): Promise<void> {
    return this.#back
  }

  /** Resolves once it has `offset`; rejects after `deadlineMs`. */
  until (offset: number, deadlineMs: number): Promise<void> {
    if (this.lastOffset >= offset) return Promise.resolve()
    return new Promise((resolve, reject) => {
      const waiter = { offset, resolve: () => { clearTimeout(timer); resolve() } }
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter)
        reject(new Error(`${this.channel}: offset ${offset} not reached within ${deadlineMs} ms, the last is ${this.lastOffset}`))
      }, deadlineMs)
      this.#waiters.add(waiter)
    })
  }

  stop () {
    this.#isStopped = true
    this.#ws?.terminate()
  }

  #open (): Promise<WebSocket> {
    const ws = new WebSocket(this.url)
    // an error surfaces through the close that follows it; unhandled, it would end the test process
    ws.on('error', () => {})
    ws.on('message', (data) => this.#frame(JSON.parse(data.toString())))
    ws.on('close', () => {
      for (const call of this.#calls.values()) call.reject(new Error('closed before the answer'))
      this.#calls.clear()
    })
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve(ws))
      // a refused upgrade (`unexpected-response`) and a refused connection both end in 'error'
      ws.once('error', (err) => { ws.terminate(); reject(err) })
    })
  }

  #call (ws: WebSocket, params: unknown): Promise<any> {
    const id = this.#ids++
    const answered = new Promise<any>((resolve, reject) => this.#calls.set(id, { resolve, reject }))
    ws.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'subscribe', params }))
    return answered
  }

  #frame (frame: any) {
    if (frame.method === 'message' && frame.params.channel === this.channel) {
      this.#take(frame.params)
    } else if (frame.id !== undefined && this.#calls.has(frame.id)) {
      // taken here, not after the awaited answer: ws may emit the next live message before that continuation runs
      for (const publication of frame.result?.publications ?? []) this.#take(publication)
      const call = this.#calls.get(frame.id)!
      this.#calls.delete(frame.id)
      call.resolve(frame)
    }
  }

  #take (message: { offset: number, epoch: string }) {
    if (message.epoch !== this.epoch) this.foreignEpochs.push(message.epoch)
    this.offsets.push(message.offset)
    for (const waiter of this.#waiters) {
      if (message.offset >= waiter.offset) {
        this.#waiters.delete(waiter)
        waiter.resolve()
      }
    }
  }

  #watch (ws: WebSocket) {
    this.#ws = ws
    ws.once('close', (code) => {
      if (this.#isStopped) return
      this.#back = this.#comeBack(code, performance.now())
      this.#onClose(this)
      // the rejection is the caller's, through whenBack(); unawaited, it must not end the process
      this.#back.catch(() => {})
    })
  }

  async #comeBack (code: number, closedAt: number): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS && !this.#isStopped; attempt++) {
      try {
        const ws = await this.#open()
        const openedAt = performance.now()
        const answer = await this.#call(ws, { channel: this.channel, recover: { offset: this.lastOffset, epoch: this.epoch } })
        if (answer.result?.subscribed !== true) {
          ws.terminate()
          throw new Error(`subscribe answered ${JSON.stringify(answer)}`)
        }
        this.comebacks.push({ code, closedAt, openedAt, attempts: attempt, recovered: answer.result.recovered })
        this.#watch(ws)
        return
      } catch {
        this.failedAttempts++
        await sleep(RETRY_STEP_MS * attempt)
      }
    }
    if (!this.#isStopped) throw new Error(`${this.channel}: not back after ${MAX_ATTEMPTS} attempts`)
  }
}

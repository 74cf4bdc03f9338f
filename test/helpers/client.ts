import { once } from 'node:events'
import type { TestContext } from 'node:test'
import WebSocket, { type ClientOptions } from 'ws'

export interface Closed { code: number, reason: string }

/** A real WebSocket client whose frames are awaited in order. */
export class TestClient {
  readonly ws: WebSocket
  readonly closed: Promise<Closed>
  readonly #queue: unknown[] = []
  readonly #waiters: Array<{ resolve: (value: unknown) => void, reject: (err: Error) => void }> = []
  #closedWith: Closed | undefined

  constructor (ws: WebSocket) {
    this.ws = ws
    ws.on('message', (data, isBinary) => {
      const value = isBinary ? data : JSON.parse(data.toString())
      const waiter = this.#waiters.shift()
      if (waiter) waiter.resolve(value)
      else this.#queue.push(value)
    })
    this.closed = new Promise((resolve) => {
      ws.once('close', (code, reason) => {
        this.#closedWith = { code, reason: reason.toString() }
        for (const waiter of this.#waiters.splice(0)) {
          waiter.reject(new Error(`connection closed with ${code} while a frame was awaited`))
        }
        resolve(this.#closedWith)
      })
    })
    // errors surface through `closed` and `next()`; an unhandled 'error' would crash the test process
    ws.on('error', () => {})
  }

  send (message: unknown) {
    this.ws.send(JSON.stringify(message))
  }

  sendRaw (data: string | Buffer, options: { binary?: boolean } = {}) {
    this.ws.send(data, { binary: options.binary ?? false })
  }

  /** The next frame, parsed as JSON. */
  next<T = any> (): Promise<T> {
    if (this.#queue.length > 0) return Promise.resolve(this.#queue.shift() as T)
    if (this.#closedWith) return Promise.reject(new Error(`connection closed with ${this.#closedWith.code}`))
    return new Promise((resolve, reject) => this.#waiters.push({ resolve: resolve as (v: unknown) => void, reject }))
  }

  /** Sends a request and returns the next frame; use where no other frame can come first. */
  async call<T = any> (method: string, params: unknown, id: string | number = 1): Promise<T> {
    this.send({ jsonrpc: '2.0', id, method, params })
    return this.next<T>()
  }

  get pending () {
    return this.#queue.length
  }
}

export async function connect (t: TestContext, url: string, options?: ClientOptions): Promise<TestClient> {
  const ws = new WebSocket(url, options)
  const client = new TestClient(ws)
  t.after(() => ws.terminate())
  await once(ws, 'open')
  return client
}

/** The HTTP status of an upgrade the server refused, with its headers. */
export async function refusedUpgrade (url: string, options?: ClientOptions): Promise<{ status: number, headers: Record<string, string | string[] | undefined> }> {
  const ws = new WebSocket(url, options)
  ws.on('error', () => {})
  return new Promise((resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => {
      resolve({ status: response.statusCode ?? 0, headers: response.headers })
      response.resume()
      ws.terminate()
    })
    ws.once('open', () => {
      ws.terminate()
      reject(new Error('the upgrade was accepted'))
    })
  })
}

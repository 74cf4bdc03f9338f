import { execFileSync, fork, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { LOAD_CPU } from '../procs.js'
import type { Kind } from './kind.js'
import type { WorkerCommand, WorkerReply } from './messages.js'

const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url))
/** Connections per worker: well under the 20,000 files one process may open. */
export const PER_WORKER = 9_000
const REPLY_TIMEOUT_MS = 120_000

/** A reply from a forked load generator: each names its type, which `request` waits for. */
interface Typed { type: string }

/** One forked load-generator process (`script`), pinned to the load core, driven by request/reply over IPC. */
export class ForkedWorker<Command, Reply extends Typed> {
  readonly child: ChildProcess
  readonly #waiting: Array<{ type: string, resolve: (reply: any) => void, reject: (err: Error) => void }> = []
  readonly #replyTimeoutMs: number

  constructor (child: ChildProcess, replyTimeoutMs = REPLY_TIMEOUT_MS) {
    this.child = child
    this.#replyTimeoutMs = replyTimeoutMs
    child.on('message', (reply: Reply) => {
      const index = this.#waiting.findIndex((wait) => wait.type === reply.type)
      if (index >= 0) this.#waiting.splice(index, 1)[0].resolve(reply)
    })
    child.on('exit', () => {
      for (const wait of this.#waiting.splice(0)) wait.reject(new Error('load worker exited'))
    })
  }

  static async start<Command, Reply extends Typed> (script: string, replyTimeoutMs = REPLY_TIMEOUT_MS): Promise<ForkedWorker<Command, Reply>> {
    const child = fork(script, [], { execArgv: ['--import', 'tsx', '--max-old-space-size=4096'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
    const worker = new ForkedWorker<Command, Reply>(child, replyTimeoutMs)
    await worker.#wait('ready')
    // -a: every thread, the libuv pool and V8's helpers included
    execFileSync('taskset', ['-a', '-pc', LOAD_CPU, String(child.pid)], { stdio: 'ignore' })
    return worker
  }

  request<T extends Reply['type']> (command: Command, replyType: T): Promise<Extract<Reply, { type: T }>> {
    const reply = this.#wait(replyType)
    this.child.send(command as object)
    return reply
  }

  #wait (type: string): Promise<any> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`load worker gave no '${type}' within ${this.#replyTimeoutMs} ms`)), this.#replyTimeoutMs)
      this.#waiting.push({
        type,
        resolve: (reply) => { clearTimeout(timer); resolve(reply) },
        reject: (err) => { clearTimeout(timer); reject(err) }
      })
    })
  }

  async close () {
    if (this.child.exitCode !== null) return
    const exited = new Promise((resolve) => this.child.once('exit', resolve))
    this.child.send({ type: 'close' })
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 5_000)
    await exited
    clearTimeout(timer)
  }
}

/** The fan-out, echo and capacity load generator (./worker.ts). */
export type Worker = ForkedWorker<WorkerCommand, WorkerReply>

let nextPrefix = 0

/** A group of workers holding `count` connections between them, spread over `urls` in turn. */
export class Group {
  readonly workers: Worker[]
  connected = 0
  failed = 0
  connectMs = 0
  firstError = ''

  constructor (workers: Worker[]) {
    this.workers = workers
  }

  static async open (kind: Kind, urls: string[], count: number, concurrency = 64): Promise<Group> {
    const workerCount = Math.max(1, Math.ceil(count / PER_WORKER))
    const group = new Group(await Promise.all(Array.from({ length: workerCount }, () => ForkedWorker.start<WorkerCommand, WorkerReply>(WORKER))))
    const started = Date.now()
    const replies = await Promise.all(group.workers.map((worker, w) => {
      const share = Math.floor(count / workerCount) + (w < count % workerCount ? 1 : 0)
      const startIndex = w * Math.ceil(count / workerCount)
      // each worker binds to its own 127.N.0.0/16; the prefix moves on every group, so TIME_WAIT of a past run never collides
      const addressPrefix = `127.${10 + (nextPrefix++ % 240)}`
      return worker.request({ type: 'connect', kind, urls, count: share, addressPrefix, concurrency, startIndex }, 'connected')
    }))
    group.connectMs = Date.now() - started
    for (const reply of replies) {
      group.connected += reply.connected
      group.failed += reply.failed
      if (group.firstError === '' && reply.firstError !== '') group.firstError = reply.firstError
    }
    return group
  }

  all<T extends WorkerReply['type']> (command: WorkerCommand, replyType: T): Promise<Array<Extract<WorkerReply, { type: T }>>> {
    return Promise.all(this.workers.map((worker) => worker.request(command, replyType)))
  }

  async close () {
    await Promise.all(this.workers.map((worker) => worker.close()))
  }
}

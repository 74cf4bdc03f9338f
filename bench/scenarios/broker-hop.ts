import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { createInterface } from 'node:readline'
import { root, SERVER_CPU } from '../procs.js'
import { Histogram } from '../load/histogram.js'

export interface HopResult {
  p50: number
  p99: number
  lost: number
}

const PEER = 'bench/peers/broker-hop.ts'
const SUBSCRIBERS = 2
const TIMEOUT_MS = 60_000

/**
 * The bare client's broker hop (bench/peers/broker-hop.ts): one publisher and two subscriber processes, like the
 * cluster rows' sender instance and the two others, at the same rate; what our adapters add is measured against it.
 */
export async function brokerHop (broker: 'redis' | 'nats', url: string, rate: number, durationMs: number): Promise<HopResult> {
  const channel = `hop.${randomBytes(4).toString('hex')}`
  const count = Math.round(rate * durationMs / 1000)
  const subscribers = Array.from({ length: SUBSCRIBERS }, () => runPeer(['sub', broker, url, channel]))
  await Promise.all(subscribers.map((peer) => peer.ready))
  const publisher = runPeer(['pub', broker, url, channel, String(rate), String(count)])
  const histogram = new Histogram()
  let received = 0
  try {
    for (const ages of await Promise.all(subscribers.map((peer) => peer.result))) {
      received += ages.length
      for (const age of ages) histogram.record(age)
    }
    await publisher.exited
  } finally {
    for (const peer of [...subscribers, publisher]) peer.kill()
  }
  return { p50: histogram.quantile(0.5), p99: histogram.quantile(0.99), lost: count * SUBSCRIBERS - received }
}

function runPeer (args: string[]) {
  const child = spawn('taskset', ['-c', SERVER_CPU, process.execPath, '--import', 'tsx', PEER, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] })
  let errors = ''
  child.stderr.on('data', (chunk: Buffer) => { errors = (errors + chunk.toString()).slice(-2000) })
  const lines = createInterface({ input: child.stdout })
  // 'close', not 'exit': by then the result line has been read off the pipe
  const exited = new Promise<void>((resolve, reject) => {
    child.once('close', (code) => code === 0 ? resolve() : reject(new Error(`broker-hop ${args[0]} exited with ${code}: ${errors}`)))
  })
  // killed on the way out after a failure: nobody awaits it then
  exited.catch(() => {})
  const timeout = <T>(what: string) => new Promise<T>((_resolve, reject) => {
    setTimeout(() => reject(new Error(`broker-hop ${args[0]}: no ${what} within ${TIMEOUT_MS} ms`)), TIMEOUT_MS).unref()
  })
  const ready = Promise.race([new Promise<void>((resolve) => lines.on('line', (line) => { if (line === 'ready') resolve() })), exited.then(() => {}), timeout<void>('ready')])
  const result = Promise.race([new Promise<number[]>((resolve) => lines.on('line', (line) => { if (line.startsWith('[')) resolve(JSON.parse(line)) })), exited.then(() => []), timeout<number[]>('result')])
  return { ready, result, exited, kill: () => { if (child.exitCode === null) child.kill('SIGKILL') } }
}

import { openConn, type BenchConn } from './conn.js'
import type { Kind } from './kind.js'
import { nowUs } from './clock.js'
import { Histogram } from './histogram.js'
import type { KeyOrder } from './key-order.js'
import type { WorkerCommand, WorkerReply } from './messages.js'

/**
 * A forked load-generator process. It holds a share of the connections (one process may open at most
 * 20,000 files) and binds them to its own source addresses, so no one address runs out of ports.
 */
const conns: BenchConn[] = []
/** Which server instance each connection went to, to tell cross-instance latency apart. */
const instanceOf: number[] = []
let lastSeq = new Int32Array(0)
let histograms: Histogram[] = []
let received = 0
let duplicated = 0
let trial = -1
/** Connections the server closed, which would make later figures meaningless. */
let closed = 0
let closing = false

const FRAME = /b\|(\d+)\|(\d+)\|(\d+)/

function reply (message: WorkerReply) {
  process.send!(message)
}

async function connect (kind: Kind, urls: string[], count: number, addressPrefix: string, concurrency: number, startIndex: number) {
  const started = Date.now()
  let failed = 0
  let firstError = ''
  let next = 0
  async function lane () {
    while (next < count) {
      const index = startIndex + next++
      // 250 connections per source address, each address in this worker's own /16
      const address = `${addressPrefix}.${1 + Math.floor(index / 250 / 250) % 250}.${1 + Math.floor(index / 250) % 250}`
      const instance = index % urls.length
      try {
        const conn = await openConn(kind, urls[instance], address)
        const slot = conns.length
        conns.push(conn)
        instanceOf.push(instance)
        conn.onBroadcast = (frame) => onFrame(slot, frame)
        conn.onClosed = () => { if (!closing) closed++ }
      } catch (err) {
        failed++
        if (firstError === '') firstError = (err as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, lane))
  histograms = urls.map(() => new Histogram())
  reply({ type: 'connected', connected: conns.length, failed, firstError, ms: Date.now() - started })
}

function onFrame (slot: number, frame: string) {
  const match = FRAME.exec(frame)
  if (match === null || Number(match[1]) !== trial) return
  const seq = Number(match[2])
  received++
  if (seq <= lastSeq[slot]) {
    duplicated++
    return
  }
  lastSeq[slot] = seq
  histograms[instanceOf[slot]].record(nowUs() - Number(match[3]))
}

function arm (id: number) {
  trial = id
  lastSeq = new Int32Array(conns.length).fill(-1)
  received = 0
  duplicated = 0
  for (const histogram of histograms) histogram.reset()
  reply({ type: 'armed' })
}

/** Sends at a fixed rate on the first connection, catching up in bursts when a timer fires late. */
async function send (id: number, rate: number, durationMs: number, padding: number) {
  const sender = conns[0]
  const total = Math.round(rate * durationMs / 1000)
  const pad = 'x'.repeat(padding)
  const started = nowUs()
  let sent = 0
  while (sent < total) {
    const due = Math.min(total, Math.floor((nowUs() - started) * rate / 1e6) + 1)
    while (sent < due) sender.broadcast(`b|${id}|${sent++}|${Math.round(nowUs())}|${pad}`)
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  reply({ type: 'sent', sent, ms: (nowUs() - started) / 1000 })
}

/** Closed loop: each connection sends its next request as soon as the previous answer arrives. */
async function echo (durationMs: number, warmupMs: number, order: KeyOrder) {
  const histogram = new Histogram()
  let requests = 0
  let allRequests = 0
  let measuring = false
  let running = true
  let inFlight = 0
  let drained: () => void = () => {}
  function loop (conn: BenchConn) {
    const sentAt = nowUs()
    inFlight++
    conn.echo('ping', order, () => {
      inFlight--
      allRequests++
      if (measuring) {
        requests++
        histogram.record(nowUs() - sentAt)
      }
      if (running) loop(conn)
      else if (inFlight === 0) drained()
    })
  }
  for (const conn of conns) loop(conn)
  await new Promise((resolve) => setTimeout(resolve, warmupMs))
  measuring = true
  const started = nowUs()
  await new Promise((resolve) => setTimeout(resolve, durationMs))
  measuring = false
  const ms = (nowUs() - started) / 1000
  running = false
  await new Promise<void>((resolve) => { drained = resolve; if (inFlight === 0) resolve() })
  reply({ type: 'echoed', requests, allRequests, ms, histogram: histogram.toJSON() })
}

process.on('message', (command: WorkerCommand) => {
  switch (command.type) {
    case 'connect':
      connect(command.kind, command.urls, command.count, command.addressPrefix, command.concurrency, command.startIndex)
      break
    case 'arm':
      arm(command.trial)
      break
    case 'progress':
      reply({ type: 'progress', received })
      break
    case 'report':
      reply({ type: 'report', received, duplicated, closed, histograms: histograms.map((h) => h.toJSON()) })
      break
    case 'send':
      send(command.trial, command.rate, command.durationMs, command.padding)
      break
    case 'echo':
      echo(command.durationMs, command.warmupMs, command.order)
      break
    case 'close':
      closing = true
      for (const conn of conns) conn.close()
      setTimeout(() => process.exit(0), 200).unref()
      break
  }
})
process.on('disconnect', () => process.exit(0))
reply({ type: 'ready' })

import WebSocket from 'ws'
import { nowUs } from './clock.js'
import { Histogram } from './histogram.js'
import type { HistoryCommand, HistoryReply, StormSeat } from './history-messages.js'

/**
 * A forked load generator for the history benchmark (bench/history.ts): recovery of missed messages after a
 * reconnect to another instance, one client at a time, and the reconnect storm's share of clients.
 */
const HANDSHAKE_TIMEOUT_MS = 15_000
const CALL_TIMEOUT_MS = 60_000
const LANES = 64

interface Position { offset: number, epoch: string }
interface Publication { offset: number, epoch: string, data: { tag?: string } }
interface SubscribeResult { subscribed: boolean, epoch: string, offset: number, recovered: boolean, publications: Publication[] }

/** A JSON-RPC client on one socket: requests by id, notifications ignored. */
class RpcConn {
  readonly socket: WebSocket
  readonly closed: Promise<void>
  readonly #pending = new Map<number, { resolve: (result: any) => void, reject: (err: Error) => void }>()
  #nextId = 1

  constructor (socket: WebSocket) {
    this.socket = socket
    this.closed = new Promise((resolve) => socket.once('close', () => {
      for (const waiter of this.#pending.values()) waiter.reject(new Error('closed before the answer'))
      this.#pending.clear()
      resolve()
    }))
    socket.on('message', (data) => {
      const text = data.toString()
      // notifications (live messages, presence) carry no id; only answers are parsed in full
      if (!text.includes('"id":')) return
      const message = JSON.parse(text)
      const waiter = this.#pending.get(message.id)
      if (waiter === undefined) return
      this.#pending.delete(message.id)
      if (message.error !== undefined) waiter.reject(new Error(`${message.error.code} ${message.error.message}`))
      else waiter.resolve(message.result)
    })
  }

  static open (url: string, localAddress: string): Promise<RpcConn> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url, { localAddress, perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS })
      socket.once('open', () => resolve(new RpcConn(socket)))
      socket.once('error', reject)
      socket.on('error', () => {})
    })
  }

  call<T> (method: string, params: object): Promise<T> {
    const id = this.#nextId++
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => { this.#pending.delete(id); reject(new Error(`${method}: no answer in ${CALL_TIMEOUT_MS} ms`)) }, CALL_TIMEOUT_MS)
      this.#pending.set(id, { resolve: (result) => { clearTimeout(timer); resolve(result) }, reject: (err) => { clearTimeout(timer); reject(err) } })
      this.socket.send(JSON.stringify({ jsonrpc: '2.0', id, method, params }))
    })
  }

  /** Drops the TCP connection at once, as a client losing its network would. */
  async drop () {
    this.socket.terminate()
    await this.closed
  }
}

function reply (message: HistoryReply) {
  process.send!(message)
}

/** 250 connections per source address; `round` keeps reconnects off the addresses whose ports sit in TIME_WAIT. */
function address (prefix: string, index: number, round: number) {
  return `${prefix}.${1 + round * 100 + Math.floor(index / 250 / 250)}.${1 + Math.floor(index / 250) % 250}`
}

/** True when the answer recovered exactly the `missed` publications after `since`, in offset order. */
function isExact (result: SubscribeResult, since: Position, missed: number, tag?: string) {
  if (!result.recovered || result.epoch !== since.epoch || result.offset !== since.offset + missed) return false
  if (result.publications.length !== missed) return false
  return result.publications.every((p, i) => p.offset === since.offset + 1 + i && p.epoch === since.epoch && (tag === undefined || p.data.tag === tag))
}

/** Runs `task(i)` for i in [0, count) with `lanes` in flight. */
async function inLanes (count: number, lanes: number, task: (i: number) => Promise<void>) {
  let next = 0
  await Promise.all(Array.from({ length: Math.min(lanes, count) }, async () => {
    while (next < count) await task(next++)
  }))
}

/**
 * One client at a time: subscribe on instance r, drop, `missed` publishes from instance r + 2 (all acknowledged),
 * then a new socket to instance r + 1 subscribing with `recover`. `total` runs from the new WebSocket to the
 * answer parsed; `rtt` from the subscribe sent to the answer parsed. Each repetition has a channel of its own, so
 * the instance it comes back to holds no subscription to it yet (its SUBSCRIBE to Redis is in the figure).
 */
async function recovery (command: Extract<HistoryCommand, { type: 'recovery' }>) {
  const { urls, reps, warmup, missed, channelPrefix, addressPrefix } = command
  const total = new Histogram()
  const rtt = new Histogram()
  let failed = 0
  let firstError = ''
  const publishers = await Promise.all(urls.map((url, i) => RpcConn.open(url, address(addressPrefix, i, 2))))
  for (let r = 0; r < warmup + reps; r++) {
    const channel = `${channelPrefix}${r}`
    try {
      const first = await RpcConn.open(urls[r % urls.length]!, address(addressPrefix, r, 0))
      const subscribed = await first.call<SubscribeResult>('subscribe', { channel })
      const since = { offset: subscribed.offset, epoch: subscribed.epoch }
      await first.drop()
      const publisher = publishers[(r + 2) % urls.length]!
      await Promise.all(Array.from({ length: missed }, (_, i) => publisher.call('publish', { channel, data: { r, i } })))
      const started = nowUs()
      const second = await RpcConn.open(urls[(r + 1) % urls.length]!, address(addressPrefix, r, 1))
      const sent = nowUs()
      const result = await second.call<SubscribeResult>('subscribe', { channel, recover: since })
      const done = nowUs()
      if (!isExact(result, since, missed)) throw new Error(`not recovered exactly: recovered ${result.recovered}, ${result.publications.length} publications`)
      if (r >= warmup) {
        total.record(done - started)
        rtt.record(done - sent)
      }
      await second.drop()
    } catch (err) {
      failed++
      if (firstError === '') firstError = (err as Error).message
    }
  }
  await Promise.all(publishers.map((p) => p.drop()))
  reply({ type: 'recovery', total: total.toJSON(), rtt: rtt.toJSON(), failed, firstError })
}

interface StormClient { seat: StormSeat, conn?: RpcConn | undefined, since?: Position }
let storm: StormClient[] = []
let stormPrefix = ''
let stormUrls: string[] = []

async function stormConnect (urls: string[], seats: StormSeat[], addressPrefix: string) {
  const started = Date.now()
  stormPrefix = addressPrefix
  stormUrls = urls
  storm = seats.map((seat) => ({ seat }))
  let failed = 0
  let firstError = ''
  await inLanes(storm.length, LANES, async (i) => {
    const client = storm[i]!
    try {
      client.conn = await RpcConn.open(urls[client.seat.first]!, address(addressPrefix, i, 0))
      const result = await client.conn.call<SubscribeResult>('subscribe', { channel: client.seat.channel })
      client.since = { offset: result.offset, epoch: result.epoch }
    } catch (err) {
      failed++
      if (firstError === '') firstError = (err as Error).message
    }
  })
  reply({ type: 'storm-connected', connected: storm.filter((c) => c.since !== undefined).length, failed, firstError, ms: Date.now() - started })
}

async function stormDrop () {
  const live = storm.filter((c) => c.conn !== undefined)
  await Promise.all(live.map((c) => c.conn!.drop()))
  for (const client of storm) client.conn = undefined
  reply({ type: 'storm-dropped', dropped: live.length })
}

/** Publishes `perChannel` messages to each channel, spread over the instances, each one acknowledged. */
async function publish (command: Extract<HistoryCommand, { type: 'publish' }>) {
  const started = Date.now()
  const publishers = await Promise.all(command.urls.map((url, i) => RpcConn.open(url, address(command.addressPrefix, i, 2))))
  let published = 0
  let failed = 0
  let firstError = ''
  const count = command.channels.length * command.perChannel
  await inLanes(count, LANES, async (n) => {
    // round by round, so each channel's publishes go out in order of i
    const channel = command.channels[n % command.channels.length]!
    const i = Math.floor(n / command.channels.length)
    try {
      await publishers[n % publishers.length]!.call('publish', { channel, data: { tag: command.tag, i } })
      published++
    } catch (err) {
      failed++
      if (firstError === '') firstError = (err as Error).message
    }
  })
  await Promise.all(publishers.map((p) => p.drop()))
  reply({ type: 'published', published, failed, firstError, ms: Date.now() - started })
}

/** Each client comes back at `startAt + index × spreadMs ÷ total` (wall clock, shared by the workers) on its second instance. */
async function stormReconnect (command: Extract<HistoryCommand, { type: 'storm-reconnect' }>) {
  const { startAt, spreadMs, total: count, missed, tag } = command
  const total = new Histogram()
  const rtt = new Histogram()
  let exact = 0
  let notRecovered = 0
  let wrong = 0
  let failed = 0
  let firstError = ''
  let lastMs = 0
  await Promise.all(storm.map((client, i) => new Promise<void>((resolve) => {
    const at = startAt + client.seat.index * spreadMs / count
    setTimeout(async () => {
      try {
        if (client.since === undefined) throw new Error('never subscribed')
        const started = nowUs()
        client.conn = await RpcConn.open(stormUrls[client.seat.second]!, address(stormPrefix, i, 1))
        const sent = nowUs()
        const result = await client.conn.call<SubscribeResult>('subscribe', { channel: client.seat.channel, recover: client.since })
        const done = nowUs()
        lastMs = Math.max(lastMs, Date.now() - startAt)
        total.record(done - started)
        rtt.record(done - sent)
        if (isExact(result, client.since, missed, tag)) exact++
        else if (!result.recovered) notRecovered++
        else wrong++
      } catch (err) {
        failed++
        if (firstError === '') firstError = (err as Error).message
      }
      resolve()
    }, Math.max(0, at - Date.now()))
  })))
  reply({ type: 'storm-reconnected', exact, notRecovered, wrong, failed, firstError, total: total.toJSON(), rtt: rtt.toJSON(), lastMs })
}

process.on('message', (command: HistoryCommand) => {
  switch (command.type) {
    case 'recovery':
      recovery(command)
      break
    case 'storm-connect':
      stormConnect(command.urls, command.seats, command.addressPrefix)
      break
    case 'storm-drop':
      stormDrop()
      break
    case 'publish':
      publish(command)
      break
    case 'storm-reconnect':
      stormReconnect(command)
      break
    case 'close':
      for (const client of storm) client.conn?.socket.terminate()
      setTimeout(() => process.exit(0), 200).unref()
      break
  }
})
process.on('disconnect', () => process.exit(0))
reply({ type: 'ready' })

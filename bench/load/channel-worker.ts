import WebSocket from 'ws'
import { io, type Socket } from 'socket.io-client'
import { nowUs } from './clock.js'
import { Histogram } from './histogram.js'
import type { ChannelCommand, ChannelReply, Seat } from './channel-messages.js'

/**
 * A forked load generator for the channel benchmark: each connection joins one channel (ours: `subscribe`,
 * Socket.IO: `join` a room) and counts the messages it gets; an optional publisher connection on the first
 * instance publishes to random channels at a fixed rate.
 */
interface ChannelConn {
  publish (channel: string, data: string): void
  close (): void
}

const HANDSHAKE_TIMEOUT_MS = 15_000
const FRAME = /t\|(\d+)\|(\d+)\|(\d+)/
const conns: ChannelConn[] = []
let publisher: ChannelConn | undefined
let lastSeq = new Int32Array(0)
const histogram = new Histogram()
let received = 0
let duplicated = 0
let closed = 0
let closing = false
let trial = -1

function reply (message: ChannelReply) {
  process.send!(message)
}

function onMessage (slot: number, text: string) {
  const match = FRAME.exec(text)
  if (match === null || Number(match[1]) !== trial) return
  received++
  const seq = Number(match[2])
  if (seq <= lastSeq[slot]!) {
    duplicated++
    return
  }
  lastSeq[slot] = seq
  histogram.record(nowUs() - Number(match[3]))
}

/** Opens one connection; with a channel, resolves once the server confirmed the subscription. */
function open (kind: 'ours' | 'sio', url: string, localAddress: string, slot: number, channel: string | undefined): Promise<ChannelConn> {
  if (kind === 'sio') {
    return new Promise((resolve, reject) => {
      const socket: Socket = io(url, {
        transports: ['websocket'], forceNew: true, reconnection: false, timeout: HANDSHAKE_TIMEOUT_MS, localAddress
      } as unknown as Parameters<typeof io>[1])
      const conn: ChannelConn = { publish: (room, data) => { socket.emit('publish', room, data) }, close: () => { socket.disconnect() } }
      socket.on('message', (data: string) => onMessage(slot, data))
      socket.on('disconnect', () => { if (!closing) closed++ })
      socket.once('connect_error', reject)
      socket.once('connect', () => {
        if (channel === undefined) return resolve(conn)
        socket.emit('join', channel, () => resolve(conn))
      })
    })
  }
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { localAddress, perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS })
    const conn: ChannelConn = {
      // a notification: no answer to read, like Socket.IO's emit without an ack
      publish: (name, data) => socket.send(`{"jsonrpc":"2.0","method":"publish","params":{"channel":"${name}","data":"${data}"}}`),
      close: () => socket.terminate()
    }
    let subscribed = channel === undefined
    socket.on('message', (data) => {
      const text = data.toString()
      if (!subscribed) {
        subscribed = true
        if (!text.includes('"subscribed":true')) return reject(new Error(`subscribe refused: ${text}`))
        return resolve(conn)
      }
      onMessage(slot, text)
    })
    socket.on('close', () => { if (!closing) closed++ })
    socket.once('error', reject)
    socket.on('error', () => {})
    socket.once('open', () => {
      if (channel === undefined) return resolve(conn)
      socket.send(`{"jsonrpc":"2.0","id":1,"method":"subscribe","params":{"channel":"${channel}"}}`)
    })
  })
}

async function connect (kind: 'ours' | 'sio', urls: string[], seats: Seat[], addressPrefix: string, withPublisher: boolean) {
  const started = Date.now()
  let failed = 0
  let firstError = ''
  let next = 0
  async function lane () {
    while (next < seats.length) {
      const index = next++
      const seat = seats[index]!
      // 250 connections per source address, so no one address runs out of ports
      const address = `${addressPrefix}.${1 + Math.floor(index / 250 / 250) % 250}.${1 + Math.floor(index / 250) % 250}`
      try {
        conns[index] = await open(kind, urls[seat.instance]!, address, index, seat.channel)
      } catch (err) {
        failed++
        if (firstError === '') firstError = (err as Error).message
      }
    }
  }
  await Promise.all(Array.from({ length: 64 }, lane))
  if (withPublisher) publisher = await open(kind, urls[0]!, `${addressPrefix}.251.1`, -1, undefined)
  lastSeq = new Int32Array(seats.length).fill(-1)
  reply({ type: 'connected', connected: conns.filter(Boolean).length, failed, firstError, ms: Date.now() - started })
}

/** Publishes `rate` messages a second to channels picked at random, catching up in bursts when a timer fires late. */
async function send (id: number, rate: number, durationMs: number, channels: string[]) {
  const total = Math.round(rate * durationMs / 1000)
  const perChannel: Record<string, number> = {}
  const started = nowUs()
  let sent = 0
  while (sent < total) {
    const due = Math.min(total, Math.floor((nowUs() - started) * rate / 1e6) + 1)
    while (sent < due) {
      const channel = channels[Math.floor(Math.random() * channels.length)]!
      perChannel[channel] = (perChannel[channel] ?? 0) + 1
      publisher!.publish(channel, `t|${id}|${sent++}|${Math.round(nowUs())}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 1))
  }
  reply({ type: 'sent', sent, ms: (nowUs() - started) / 1000, perChannel })
}

process.on('message', (command: ChannelCommand) => {
  switch (command.type) {
    case 'connect':
      connect(command.kind, command.urls, command.seats, command.addressPrefix, command.publisher)
      break
    case 'arm':
      trial = command.trial
      lastSeq.fill(-1)
      received = 0
      duplicated = 0
      histogram.reset()
      reply({ type: 'armed' })
      break
    case 'send':
      send(command.trial, command.rate, command.durationMs, command.channels)
      break
    case 'progress':
      reply({ type: 'progress', received })
      break
    case 'report':
      reply({ type: 'report', received, duplicated, closed, histogram: histogram.toJSON() })
      break
    case 'close':
      closing = true
      for (const conn of conns) conn?.close()
      publisher?.close()
      setTimeout(() => process.exit(0), 200).unref()
      break
  }
})
process.on('disconnect', () => process.exit(0))
reply({ type: 'ready' })

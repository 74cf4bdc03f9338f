import WebSocket from 'ws'
import { io, type Socket } from 'socket.io-client'
import { echoRequest, type KeyOrder } from './key-order.js'
import type { Kind } from './kind.js'

/** One client connection, the same three operations whatever the server speaks. */
export interface BenchConn {
  /** Asks the server to send `text` to every client. */
  broadcast (text: string): void
  /** Sends `text` (as a `self.reply` request in `order`, to a JSON-RPC server) and calls `onReply` once with the answer. */
  echo (text: string, order: KeyOrder, onReply: () => void): void
  /** Called with each broadcast frame (or its text, for Socket.IO) the server sends this client. */
  onBroadcast: (frame: string) => void
  /** Called when the server or the network ended the connection. */
  onClosed: () => void
  close (): void
}

const HANDSHAKE_TIMEOUT_MS = 15_000
/** A Buffer goes out as a binary frame unless told otherwise; every server here expects text. */
const TEXT_FRAME = { binary: false } as const

export function openConn (kind: Kind, url: string, localAddress: string): Promise<BenchConn> {
  return kind === 'sio' ? openSocketIo(url, localAddress) : openWs(kind, url, localAddress)
}

function openWs (kind: Kind, url: string, localAddress: string): Promise<BenchConn> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { localAddress, perMessageDeflate: false, handshakeTimeout: HANDSHAKE_TIMEOUT_MS })
    let pending: (() => void) | undefined
    // the echo request is encoded once: per-request string building would load the generator's core, not the server's
    let echoKey: string | undefined
    let echoFrame = Buffer.alloc(0)
    const conn: BenchConn = {
      broadcast: kind === 'ours'
        // a notification: the server answers nothing, like the raw ws peer
        ? (text) => socket.send(`{"jsonrpc":"2.0","method":"broadcast","params":{"text":"${text}"}}`)
        : (text) => socket.send(text),
      echo: (text, order, onReply) => {
        pending = onReply
        if (echoKey !== order + text) {
          echoKey = order + text
          echoFrame = Buffer.from(kind === 'ws' ? text : echoRequest(order, text))
        }
        socket.send(echoFrame, TEXT_FRAME)
      },
      onBroadcast: () => {},
      onClosed: () => {},
      close: () => socket.terminate()
    }
    socket.on('close', () => conn.onClosed())
    socket.on('message', (data) => {
      if (pending !== undefined) {
        const done = pending
        pending = undefined
        done()
        return
      }
      conn.onBroadcast(data.toString())
    })
    socket.once('open', () => resolve(conn))
    socket.once('error', reject)
    socket.on('error', () => {})
  })
}

function openSocketIo (url: string, localAddress: string): Promise<BenchConn> {
  return new Promise((resolve, reject) => {
    const socket: Socket = io(url, {
      transports: ['websocket'],
      forceNew: true,
      reconnection: false,
      timeout: HANDSHAKE_TIMEOUT_MS,
      perMessageDeflate: false,
      localAddress
    } as unknown as Parameters<typeof io>[1])
    const conn: BenchConn = {
      broadcast: (text) => { socket.emit('broadcast', text) },
      echo: (text, _order, onReply) => { socket.emit('echo', text, onReply) },
      onBroadcast: () => {},
      onClosed: () => {},
      close: () => { socket.disconnect() }
    }
    socket.on('disconnect', () => conn.onClosed())
    socket.on('broadcast', (text: string) => conn.onBroadcast(text))
    socket.once('connect', () => resolve(conn))
    socket.once('connect_error', reject)
  })
}

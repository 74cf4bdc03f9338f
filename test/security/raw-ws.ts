import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import net from 'node:net'
import type { TestContext } from 'node:test'

/** Opcodes of RFC 6455 §5.2. */
export const Op = { Continuation: 0x0, Text: 0x1, Binary: 0x2, Close: 0x8, Ping: 0x9, Pong: 0xa } as const

export interface FrameOptions {
  fin?: boolean
  /** Client frames must be masked (§5.3); false sends one unmasked. */
  mask?: boolean
  /** The three reserved bits, as a number 0-7. */
  rsv?: number
}

/** One frame as a client would put it on the wire, however wrong the caller wants it. */
export function frame (opcode: number, payload: Buffer | string, options: FrameOptions = {}): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload
  const { fin = true, mask = true, rsv = 0 } = options
  const head: number[] = [(fin ? 0x80 : 0) | (rsv << 4) | opcode]
  const maskBit = mask ? 0x80 : 0
  if (data.length < 126) {
    head.push(maskBit | data.length)
  } else if (data.length < 65536) {
    head.push(maskBit | 126, data.length >> 8, data.length & 0xff)
  } else {
    const size = Buffer.alloc(8)
    size.writeBigUInt64BE(BigInt(data.length))
    head.push(maskBit | 127, ...size)
  }
  if (!mask) return Buffer.concat([Buffer.from(head), data])
  const key = randomBytes(4)
  const masked = Buffer.alloc(data.length)
  for (let i = 0; i < data.length; i++) masked[i] = data[i]! ^ key[i % 4]!
  return Buffer.concat([Buffer.from(head), key, masked])
}

export interface ServerFrame { opcode: number, payload: Buffer }

/** What the server did in the end: its close frame's code, or `ended` when the TCP connection went without one. */
export type Ending = { close: number } | 'ended'

/** A WebSocket spoken by hand over a TCP socket, for frames the `ws` client refuses to send. */
export class RawSocket {
  readonly socket: net.Socket
  readonly #frames: ServerFrame[] = []
  readonly #waiters: Array<() => void> = []
  #buffer: Buffer
  #ended = false

  constructor (socket: net.Socket, rest: Buffer) {
    this.socket = socket
    this.#buffer = rest
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk])
      this.#parse()
    })
    socket.on('close', () => { this.#ended = true; this.#wake() })
    socket.on('error', () => {})
    this.#parse()
  }

  write (data: Buffer) {
    this.socket.write(data)
  }

  /** The next frame from the server, or undefined once the connection has ended. */
  async next (): Promise<ServerFrame | undefined> {
    while (this.#frames.length === 0 && !this.#ended) await new Promise<void>((resolve) => this.#waiters.push(resolve))
    return this.#frames.shift()
  }

  /** Reads until the server's close frame or the end of the connection; other frames are returned too. */
  async ending (): Promise<{ ending: Ending, texts: string[] }> {
    const texts: string[] = []
    for (;;) {
      const next = await this.next()
      if (next === undefined) return { ending: 'ended', texts }
      if (next.opcode === Op.Close) return { ending: { close: next.payload.length >= 2 ? next.payload.readUInt16BE(0) : 1005 }, texts }
      if (next.opcode === Op.Text) texts.push(next.payload.toString())
    }
  }

  #parse () {
    for (;;) {
      const b = this.#buffer
      if (b.length < 2) break
      let length = b[1]! & 0x7f
      let offset = 2
      if (length === 126) {
        if (b.length < 4) break
        length = b.readUInt16BE(2)
        offset = 4
      } else if (length === 127) {
        if (b.length < 10) break
        length = Number(b.readBigUInt64BE(2))
        offset = 10
      }
      if (b.length < offset + length) break
      const opcode = b[0]! & 0x0f
      // the heartbeat's pings are left unanswered and unseen: a test ends long before a missed ping costs the connection
      if (opcode !== Op.Ping) this.#frames.push({ opcode, payload: b.subarray(offset, offset + length) })
      this.#buffer = b.subarray(offset + length)
    }
    this.#wake()
  }

  #wake () {
    for (const waiter of this.#waiters.splice(0)) waiter()
  }
}

/** Sends `request` as is and returns the status code and headers of the HTTP answer, plus whatever followed. */
export async function rawHttp (t: TestContext, port: number, request: string): Promise<{ status: number, headers: Record<string, string>, socket: net.Socket, rest: Buffer }> {
  const socket = net.connect(port, '127.0.0.1')
  t.after(() => socket.destroy())
  socket.on('error', () => {})
  await once(socket, 'connect')
  socket.write(request)
  let buffer = Buffer.alloc(0)
  while (buffer.indexOf('\r\n\r\n') === -1) {
    const chunk = await new Promise<Buffer | undefined>((resolve) => {
      const onData = (data: Buffer) => { socket.off('close', onClose); resolve(data) }
      const onClose = () => { socket.off('data', onData); resolve(undefined) }
      socket.once('data', onData)
      socket.once('close', onClose)
    })
    if (chunk === undefined) throw new Error(`connection closed before an HTTP answer; got ${JSON.stringify(buffer.toString())}`)
    buffer = Buffer.concat([buffer, chunk])
  }
  socket.pause()
  const end = buffer.indexOf('\r\n\r\n')
  const [statusLine, ...lines] = buffer.subarray(0, end).toString().split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, socket, rest: buffer.subarray(end + 4) }
}

export function upgradeRequest (extraHeaders: Record<string, string> = {}, path = '/ws'): string {
  const headers: Record<string, string> = {
    Host: '127.0.0.1',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': randomBytes(16).toString('base64'),
    'Sec-WebSocket-Version': '13',
    ...extraHeaders
  }
  const lines = Object.entries(headers).filter(([, value]) => value !== '').map(([name, value]) => `${name}: ${value}`)
  return `GET ${path} HTTP/1.1\r\n${lines.join('\r\n')}\r\n\r\n`
}

/** A completed handshake on a raw socket. */
export async function openRaw (t: TestContext, port: number): Promise<RawSocket> {
  const answer = await rawHttp(t, port, upgradeRequest())
  if (answer.status !== 101) throw new Error(`upgrade refused with ${answer.status}`)
  const raw = new RawSocket(answer.socket, answer.rest)
  answer.socket.resume()
  return raw
}

export function portOf (url: string): number {
  return Number(new URL(url).port)
}

import assert from 'node:assert/strict'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import { test, type TestContext } from 'node:test'
import { WebSocketServer, type RawData } from 'ws'
import { onMessage } from '../../src/fast-path/text-frame-reader.js'
import { frame, Op, openRaw, type Ending } from '../security/raw-ws.js'

/** What a server made of one connection's bytes, in order: texts, binaries, pings, ws's errors and the close. */
interface Connection {
  events: string[]
  /** Texts that came through the short-frame reader rather than ws's own parsing. */
  read: number
  bytes: number
  closed: boolean
  changed: () => void
}

interface Server { port: number, connections: Connection[] }

async function startServer (t: TestContext, withReader: boolean, maxPayload: number | undefined): Promise<Server> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false, ...(maxPayload === undefined ? {} : { maxPayload }) })
  t.after(() => new Promise<void>((resolve) => {
    for (const socket of wss.clients) socket.terminate()
    wss.close(() => resolve())
  }))
  await once(wss, 'listening')
  const server: Server = { port: (wss.address() as { port: number }).port, connections: [] }
  wss.on('connection', (socket) => {
    const connection: Connection = { events: [], read: 0, bytes: 0, closed: false, changed: () => {} }
    server.connections.push(connection)
    const { events } = connection
    const listener = (data: RawData | string, isBinary: boolean) => {
      events.push(isBinary ? `binary ${(data as Buffer).toString('hex')}` : `text ${data.toString()}`)
      // the reader hands over the decoded text, ws's Receiver a Buffer
      if (typeof data === 'string') connection.read++
    }
    if (withReader) onMessage(socket, listener)
    else socket.on('message', listener)
    socket.on('ping', (data) => events.push(`ping ${data.toString('hex')}`))
    socket.on('error', (err) => events.push(`error ${(err as Error & { code: string }).code}`))
    socket.on('close', (code) => { events.push(`close ${code}`); connection.closed = true; connection.changed() })
    const tcp = (socket as unknown as { _socket: Socket })._socket
    tcp.on('data', (chunk: Buffer) => { connection.bytes += chunk.length; connection.changed() })
  })
  return server
}

/** Deterministic, so a failure can be replayed from its case number. */
function random (seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let x = Math.imul(state ^ (state >>> 15), 1 | state)
    x ^= x + Math.imul(x ^ (x >>> 7), 61 | x)
    return ((x ^ (x >>> 14)) >>> 0) / 2 ** 32
  }
}

const ALPHABET = ['a', 'z', '0', '{', '"', ' ', 'é', 'ß', '€', '😀']

function text (next: () => number, maxBytes: number): string {
  let out = ''
  const target = Math.floor(next() * maxBytes)
  while (Buffer.byteLength(out) < target) {
    // mostly ASCII, as JSON-RPC requests are; sometimes 2-, 3- and 4-byte characters
    out += next() < 0.8 ? ALPHABET[Math.floor(next() * 6)] : ALPHABET[6 + Math.floor(next() * 4)]
  }
  while (Buffer.byteLength(out) > maxBytes) out = out.slice(0, -1)
  return out
}

/** One client's frames: mostly short texts, with the frames the reader must leave to ws mixed in. */
function frames (next: () => number): Buffer[] {
  const out: Buffer[] = []
  const count = 1 + Math.floor(next() * 12)
  for (let i = 0; i < count; i++) {
    const kind = next()
    if (kind < 0.55) out.push(frame(Op.Text, text(next, 125)))
    else if (kind < 0.63) out.push(frame(Op.Text, text(next, 300)))
    else if (kind < 0.7) out.push(frame(Op.Ping, text(next, 8)))
    else if (kind < 0.77) {
      out.push(frame(Op.Text, text(next, 40), { fin: false }))
      if (next() < 0.5) out.push(frame(Op.Ping, 'p'))
      out.push(frame(Op.Continuation, text(next, 40)))
      // a new message inside a fragmented one is a protocol error (1002)
      if (next() < 0.3) out.push(frame(Op.Text, text(next, 10)))
    } else if (kind < 0.83) out.push(frame(Op.Binary, Buffer.from(text(next, 20))))
    else if (kind < 0.86) out.push(frame(Op.Text, Buffer.from([0x61, 0xc3, 0x28])))
    else if (kind < 0.88) out.push(frame(Op.Text, Buffer.from([0xed, 0xa0, 0x80])))
    else if (kind < 0.9) out.push(frame(Op.Text, 'rsv', { rsv: 4 }))
    else if (kind < 0.92) out.push(frame(Op.Text, 'bare', { mask: false }))
    else if (kind < 0.94) out.push(frame(Op.Continuation, 'stray'))
    else out.push(frame(Op.Text, text(next, 125)), frame(Op.Text, text(next, 125)))
  }
  out.push(CLOSE)
  // bytes after the close frame must be ignored by both
  if (next() < 0.3) out.push(frame(Op.Text, 'after close'))
  return out
}

/** The frames' bytes cut into pieces: mostly a frame or a few to a piece, else anywhere, inside headers and masks too. */
function pieces (next: () => number, frames: Buffer[]): Buffer[] {
  const bytes = Buffer.concat(frames)
  const boundaries = new Set<number>()
  let end = 0
  for (const frame of frames) boundaries.add(end += frame.length)
  const out: Buffer[] = []
  let at = 0
  while (at < bytes.length) {
    const roll = next()
    let to = at
    if (roll < 0.6) {
      // up to three whole frames, as a client writing one request per frame produces
      const count = 1 + Math.floor(next() * 3)
      for (let i = 0; i < count && to < bytes.length; i++) do to++; while (!boundaries.has(to))
    } else {
      to = Math.min(bytes.length, at + 1 + Math.floor(next() * (roll < 0.8 ? 8 : 150)))
    }
    out.push(bytes.subarray(at, to))
    at = to
  }
  return out
}

/** Sends each piece only once the server has read the last, so each tends to arrive as a chunk of its own. */
async function play (t: TestContext, server: Server, chunks: Buffer[]): Promise<{ connection: Connection, ending: Ending }> {
  const raw = await openRaw(t, server.port)
  raw.socket.setNoDelay(true)
  const connection = server.connections.at(-1)!
  let sent = 0
  for (const chunk of chunks) {
    if (connection.closed || raw.socket.destroyed) break
    raw.write(chunk)
    sent += chunk.length
    while (connection.bytes < sent && !connection.closed) await new Promise<void>((resolve) => { connection.changed = resolve })
  }
  const { ending } = await raw.ending()
  raw.socket.destroy()
  while (!connection.closed) await new Promise<void>((resolve) => { connection.changed = resolve })
  return { connection, ending }
}

/** Plays the same chunks to a server with the reader and to ws alone; both must make the same of them. */
async function compare (t: TestContext, pair: { withReader: Server, wsAlone: Server }, chunks: Buffer[], label: string): Promise<Connection> {
  const ours = await play(t, pair.withReader, chunks)
  const theirs = await play(t, pair.wsAlone, chunks)
  assert.deepEqual(ours.connection.events, theirs.connection.events, `${label}: events`)
  assert.deepEqual(ours.ending, theirs.ending, `${label}: close`)
  return ours.connection
}

async function startPair (t: TestContext, maxPayload?: number) {
  return { withReader: await startServer(t, true, maxPayload), wsAlone: await startServer(t, false, maxPayload) }
}

const CLOSE = frame(Op.Close, Buffer.from([0x03, 0xe8]))

test('the short-frame reader yields what ws alone yields, for any frames cut into any chunks', { timeout: 20_000 }, async (t) => {
  const pairs = [await startPair(t), await startPair(t, 64)]
  let read = 0
  let leftToWs = 0
  for (let n = 0; n < 300; n++) {
    const next = random(n + 1)
    const connection = await compare(t, pairs[n % pairs.length]!, pieces(next, frames(next)), `case ${n}`)
    read += connection.read
    leftToWs += connection.events.filter((event) => event.startsWith('text ')).length - connection.read
  }
  // both paths were exercised, or the comparison above says nothing about the reader
  assert.ok(read > 200, `reader took ${read} texts`)
  assert.ok(leftToWs > 100, `ws took ${leftToWs} texts`)
})

test('a chunk that continues what ws holds goes to ws, even when it looks like a short text frame', { timeout: 20_000 }, async (t) => {
  const pair = await startPair(t)
  // Each text is masked so that the chunk after the cut starts with 81 80: read on its own, an empty text frame.
  // Cut after the first byte ('a', key 80 00 00 00), after the header ('a', key 81 80 00 00), after the key ('ab', key e0 e2 00 00)
  const cuts: Array<[number[], number]> = [
    [[0x81, 0x81, 0x80, 0x00, 0x00, 0x00, 0x61 ^ 0x80], 1],
    [[0x81, 0x81, 0x81, 0x80, 0x00, 0x00, 0x61 ^ 0x81], 2],
    [[0x81, 0x82, 0xe0, 0xe2, 0x00, 0x00, 0x61 ^ 0xe0, 0x62 ^ 0xe2], 6]
  ]
  for (const [bytes, at] of cuts) {
    const whole = Buffer.from(bytes)
    // the close frame rides in the second piece, so that piece is long enough to pass for a frame
    const connection = await compare(t, pair, [whole.subarray(0, at), Buffer.concat([whole.subarray(at), CLOSE])], `cut at ${at}`)
    assert.match(connection.events[0]!, /^text ab?$/)
  }
  // a whole text frame while a fragmented message is open is ws's protocol error, not a message
  await compare(t, pair, [frame(Op.Text, 'ab', { fin: false }), frame(Op.Text, 'c'), CLOSE], 'text inside a fragmented message')
  // an unmasked frame is ws's to refuse (1002), even when the bytes after it would unmask to text with its payload as key
  const unmasked = Buffer.concat([frame(Op.Text, Buffer.alloc(4), { mask: false }), Buffer.from('abcd'), CLOSE])
  const refused = await compare(t, pair, [unmasked], 'unmasked')
  assert.deepEqual(refused.events, ['error WS_ERR_EXPECTED_MASK', 'close 1006'])
})

test('the short-frame reader takes every frame of a chunk that holds only whole short texts, and unmasks them', { timeout: 20_000 }, async (t) => {
  const server = await startServer(t, true, undefined)
  const texts = ['', '{"jsonrpc":"2.0","id":1,"method":"self.reply","params":{"text":"ping"}}', 'é😀', 'x'.repeat(125)]
  const { connection, ending } = await play(t, server, [Buffer.concat([...texts.map((t) => frame(Op.Text, t)), CLOSE])])
  assert.deepEqual(connection.events, [...texts.map((t) => `text ${t}`), 'close 1000'])
  assert.equal(connection.read, texts.length)
  assert.deepEqual(ending, { close: 1000 })
})

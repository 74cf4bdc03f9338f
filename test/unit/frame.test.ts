import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import WebSocket, { WebSocketServer } from 'ws'
import { replyFrame, textFrame } from '../../src/hub/frame.js'
import { writeFrame } from '../../src/fast-path/write-frame.js'

test('a pre-built frame reaches a ws client as the same text, at every header length', async (t) => {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false })
  t.after(() => new Promise<void>((resolve) => {
    for (const socket of server.clients) socket.terminate()
    server.close(() => resolve())
  }))
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  // 0, 7-bit, 16-bit and 64-bit payload lengths, and multi-byte UTF-8 measured in bytes, not characters
  const texts = ['', 'x'.repeat(125), 'x'.repeat(126), 'é'.repeat(40_000), 'y'.repeat(65_535), 'z'.repeat(70_000)]
  server.on('connection', (socket) => {
    for (const [i, text] of texts.entries()) {
      const frame = textFrame(i % 2 === 0 ? text : Buffer.from(text))
      assert.equal(writeFrame(socket, frame), true)
    }
    // the reply form of every text: a latin1 string for ASCII up to 16-bit lengths, the Buffer frame otherwise
    for (const text of texts) assert.equal(writeFrame(socket, replyFrame(text)), true)
  })
  const client = new WebSocket(`ws://127.0.0.1:${port}`)
  t.after(() => client.terminate())
  const received: Array<[string, boolean]> = []
  await new Promise<void>((resolve) => {
    client.on('message', (data, isBinary) => {
      received.push([data.toString(), isBinary])
      if (received.length === 2 * texts.length) resolve()
    })
  })
  assert.deepEqual(received, [...texts, ...texts].map((text) => [text, false]))
})

test('a reply frame is a latin1 string only for ASCII up to 16-bit lengths, and the same bytes as the Buffer frame', () => {
  for (const text of ['', '{"jsonrpc":"2.0","id":1,"result":{"text":"ping"}}', 'a'.repeat(125), 'a'.repeat(126), 'b'.repeat(65_535)]) {
    const frame = replyFrame(text)
    assert.equal(typeof frame, 'string')
    assert.deepEqual(Buffer.from(frame as string, 'latin1'), textFrame(text))
  }
  // a latin1 write of these would not be their UTF-8 bytes; beyond 65,535 the header needs 64 bits
  for (const text of ['é', 'x\u0080', '\u{1F600}', 'c'.repeat(65_536)]) assert.deepEqual(replyFrame(text), textFrame(text))
})

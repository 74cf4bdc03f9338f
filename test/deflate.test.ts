import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import type WebSocket from 'ws'
import { startServer } from './helpers/server.js'
import { connect } from './helpers/client.js'

/** Bytes the client's TCP socket has read so far: what actually crossed the wire. */
function wireBytesRead (ws: WebSocket): number {
  return (ws as unknown as { _socket: Socket })._socket.bytesRead
}

test('permessage-deflate is off by default even when the client offers it', async (t) => {
  const { url } = await startServer(t)
  const client = await connect(t, url, { perMessageDeflate: true })
  assert.equal(client.ws.extensions, '')
})

test('with WS_PERMESSAGE_DEFLATE a reply above the threshold crosses the wire compressed', async (t) => {
  const { url } = await startServer(t, { WS_PERMESSAGE_DEFLATE: true, WS_DEFLATE_THRESHOLD_BYTES: 512 })
  const client = await connect(t, url, { perMessageDeflate: true })
  assert.match(client.ws.extensions, /permessage-deflate/)
  const text = 'all work and no play '.repeat(500)
  const before = wireBytesRead(client.ws)
  assert.deepEqual(await client.call('self.reply', { text }), { jsonrpc: '2.0', id: 1, result: { text } })
  const read = wireBytesRead(client.ws) - before
  assert.ok(read < text.length / 10, `a ${text.length}-character reply took ${read} bytes on the wire`)
})

test('a client that did not negotiate compression is answered plainly beside one that did', async (t) => {
  const { url } = await startServer(t, { WS_PERMESSAGE_DEFLATE: true })
  const deflating = await connect(t, url, { perMessageDeflate: true })
  const plain = await connect(t, url, { perMessageDeflate: false })
  assert.equal(plain.ws.extensions, '')
  const text = 'z'.repeat(4000)
  assert.deepEqual(await plain.call('self.reply', { text }), { jsonrpc: '2.0', id: 1, result: { text } })
  deflating.send({ jsonrpc: '2.0', id: 7, method: 'broadcast', params: { text: 'to both' } })
  const [notification, ack] = [await deflating.next(), await deflating.next()]
  assert.deepEqual(notification.params.text, 'to both')
  assert.deepEqual(ack, { jsonrpc: '2.0', id: 7, result: { published: true } })
  assert.equal((await plain.next()).params.text, 'to both')
})

test('a small compressed frame that inflates past the max payload closes with 1009', async (t) => {
  const { url } = await startServer(t, { WS_PERMESSAGE_DEFLATE: true, WS_MAX_PAYLOAD_BYTES: 4096 })
  const bomb = await connect(t, url, { perMessageDeflate: true })
  const bystander = await connect(t, url, { perMessageDeflate: true })
  bomb.send({ jsonrpc: '2.0', id: 1, method: 'self.reply', params: { text: 'a'.repeat(1_000_000) } })
  assert.equal((await bomb.closed).code, 1009)
  assert.deepEqual(await bystander.call('self.reply', { text: 'fine' }), { jsonrpc: '2.0', id: 1, result: { text: 'fine' } })
})

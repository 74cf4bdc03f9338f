import assert from 'node:assert/strict'
import { once } from 'node:events'
import net from 'node:net'
import { test } from 'node:test'
import Type from 'typebox'
import { defineMethod } from '../../src/methods/method.js'
import { runServer, spawnServer } from '../helpers/child.js'
import { connect, refusedUpgrade } from '../helpers/client.js'
import { startServer } from '../helpers/server.js'

test('a frame over WS_MAX_PAYLOAD_BYTES closes the connection with 1009', async (t) => {
  const { url } = await startServer(t, { WS_MAX_PAYLOAD_BYTES: 1024 })
  const client = await connect(t, url)
  client.send({ jsonrpc: '2.0', id: 1, method: 'self.reply', params: { text: 'x'.repeat(1024) } })
  assert.deepEqual(await client.closed, { code: 1009, reason: '' })
})

test('a batch longer than WS_MAX_BATCH_LENGTH gets one -32600 and none of it runs', async (t) => {
  const { url } = await startServer(t, { WS_MAX_BATCH_LENGTH: 3 })
  const client = await connect(t, url)
  const broadcast = (text: string) => ({ jsonrpc: '2.0', method: 'broadcast', params: { text } })
  client.send([broadcast('a'), broadcast('b'), broadcast('c'), { jsonrpc: '2.0', id: 1, method: 'self.reply', params: { text: 'd' } }])
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request', data: { maxBatchLength: 3 } } })
  // at the limit it runs; had the long batch's broadcasts gone out, they would arrive before this answer
  client.send([{ jsonrpc: '2.0', id: 2, method: 'self.reply', params: { text: 'e' } }, broadcast('f'), broadcast('g')])
  assert.equal((await client.next()).params.text, 'f')
  assert.equal((await client.next()).params.text, 'g')
  assert.deepEqual(await client.next(), [{ jsonrpc: '2.0', id: 2, result: { text: 'e' } }])
})

// a method with its own, looser bound: the server's cap only fills in where a schema says nothing
const note = defineMethod({
  name: 'test.note',
  params: Type.Object({ body: Type.String({ maxLength: 50 }), tags: Type.Array(Type.String()) }),
  handle ({ body, tags }) {
    return { length: body.length, tags: tags.length }
  }
})

test('a string param longer than WS_MAX_TEXT_LENGTH gets -32602, in every method, unless its schema sets its own bound', async (t) => {
  const { url } = await startServer(t, { WS_MAX_TEXT_LENGTH: 10 }, { methods: [note] })
  const client = await connect(t, url)
  const tooLong = { code: -32602, message: 'Invalid params', data: [{ path: '/text', message: 'must not have more than 10 characters' }] }
  assert.deepEqual(await client.call('self.reply', { text: 'x'.repeat(11) }, 1), { jsonrpc: '2.0', id: 1, error: tooLong })
  assert.deepEqual(await client.call('broadcast', { text: 'x'.repeat(11) }, 2), { jsonrpc: '2.0', id: 2, error: tooLong })
  assert.deepEqual(await client.call('self.reply', { text: 'x'.repeat(10) }, 3), { jsonrpc: '2.0', id: 3, result: { text: 'x'.repeat(10) } })
  assert.deepEqual(await client.call('test.note', { body: 'y'.repeat(40), tags: ['ok'] }, 4), { jsonrpc: '2.0', id: 4, result: { length: 40, tags: 1 } })
  assert.deepEqual(await client.call('test.note', { body: 'y', tags: ['z'.repeat(11)] }, 5), {
    jsonrpc: '2.0', id: 5, error: { code: -32602, message: 'Invalid params', data: [{ path: '/tags/0', message: 'must not have more than 10 characters' }] }
  })
})

test('by default a text may be as long as one frame can carry', async (t) => {
  const { url } = await startServer(t)
  const client = await connect(t, url)
  const text = 'x'.repeat(60_000)
  assert.deepEqual(await client.call('self.reply', { text }), { jsonrpc: '2.0', id: 1, result: { text } })
})

test('past WS_MAX_CONNECTIONS an upgrade gets 503 before any 101, and a freed slot is taken again', async (t) => {
  const { url, http } = await startServer(t, { WS_MAX_CONNECTIONS: 2 })
  const first = await connect(t, url)
  await connect(t, url)
  const refused = await refusedUpgrade(url)
  assert.deepEqual({ status: refused.status, retryAfter: refused.headers['retry-after'] }, { status: 503, retryAfter: '1' })
  first.ws.close()
  await first.closed
  // the server forgets the client on its own close event, a moment after the client's
  while ((await (await fetch(`${http}/health`)).json() as { connections: number }).connections !== 1);
  await connect(t, url)
})

test('WS_ALLOWED_ORIGINS refuses other browser origins with 403 and lets listed and origin-less clients in', async (t) => {
  const { url } = await startServer(t, { WS_ALLOWED_ORIGINS: 'https://app.example.com,https://admin.example.com' })
  const refused = await refusedUpgrade(url, { origin: 'https://evil.example.com' })
  assert.equal(refused.status, 403)
  assert.equal((await refusedUpgrade(url, { origin: 'null' })).status, 403)
  const listed = await connect(t, url, { origin: 'https://admin.example.com' })
  const native = await connect(t, url)
  assert.deepEqual(await listed.call('self.reply', { text: 'a' }), { jsonrpc: '2.0', id: 1, result: { text: 'a' } })
  assert.deepEqual(await native.call('self.reply', { text: 'b' }), { jsonrpc: '2.0', id: 1, result: { text: 'b' } })
})

test('a TCP connection that never completes its handshake is closed after WS_HANDSHAKE_TIMEOUT_MS, an open WebSocket is not', async (t) => {
  const server = await spawnServer(t, { WS_HANDSHAKE_TIMEOUT_MS: '300' })
  const client = await connect(t, server.url)
  const silent = net.connect(server.port, '127.0.0.1')
  const halfway = net.connect(server.port, '127.0.0.1')
  t.after(() => { silent.destroy(); halfway.destroy() })
  await Promise.all([once(silent, 'connect'), once(halfway, 'connect')])
  halfway.write('GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n')
  const received: string[] = []
  halfway.on('data', (chunk) => received.push(chunk.toString()))
  silent.on('data', (chunk) => received.push(chunk.toString()))
  await Promise.all([once(silent, 'close'), once(halfway, 'close')])
  // dropped without an answer: there is no request to answer
  assert.deepEqual(received, [])
  // the WebSocket was open the whole time and is still served
  assert.deepEqual(await client.call('self.reply', { text: 'still here' }), { jsonrpc: '2.0', id: 1, result: { text: 'still here' } })
})

test('an unreadable WS_TRUST_PROXY stops start-up with a message naming it', async (t) => {
  const child = runServer(t, { WS_HOST: '127.0.0.1', WS_PORT: '0', WS_TRUST_PROXY: '999.1.1.1' })
  assert.equal(await child.exited, 1)
  assert.ok(child.stderr().includes('env/WS_TRUST_PROXY must be true, false, a hop count'), `stderr was: ${child.stderr()}`)
})

// rpc-websockets' Client, unmodified, against the hub: calls, error answers, and server notifications through its
// event API. What of that API maps and what does not is in docs/client.md ("Other clients").
import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { Client } from 'rpc-websockets'
import { startServer } from '../helpers/server.js'

const TIMEOUT_MS = 30_000
const CLIENT_ID = /^[0-9a-f]{8}\.[0-9a-z]+$/

/** An open rpc-websockets client, closed after the test; no reconnect, so nothing outlives the test. */
async function rpcClient (t: TestContext, url: string, options: Record<string, unknown> = {}): Promise<Client> {
  const client = new Client(url, { reconnect: false, ...options })
  t.after(() => client.close())
  await new Promise<void>((resolve, reject) => {
    client.once('open', () => resolve())
    client.once('error', reject)
  })
  return client
}

/** The params of the next `method` notification the client's event API emits. */
function nextEvent (client: Client, method: string): Promise<unknown> {
  return new Promise((resolve) => client.once(method, resolve))
}

test('rpc-websockets: call() gets the result', { timeout: TIMEOUT_MS }, async (t) => {
  const { url } = await startServer(t)
  const client = await rpcClient(t, url)
  assert.deepEqual(await client.call('self.reply', { text: 'hi' }), { text: 'hi' })
  assert.deepEqual(await client.call('self.reply', { text: 'again' }), { text: 'again' })
  // the OpenRPC document, where its listMethods() would ask its own server
  const document = await client.call('rpc.discover') as { openrpc: string, methods: Array<{ name: string }> }
  assert.equal(document.openrpc, '1.3.2')
  assert.ok(document.methods.some((method) => method.name === 'self.reply'))
})

test('rpc-websockets: an error answer rejects call() with the JSON-RPC error object', { timeout: TIMEOUT_MS }, async (t) => {
  const { url } = await startServer(t)
  const client = await rpcClient(t, url)
  await assert.rejects(client.call('nope', { text: 'x' }), { code: -32601, message: 'Method not found', data: { method: 'nope' } })
  await assert.rejects(client.call('self.reply', { text: 42 }), (err: { code: number, message: string, data: unknown }) => {
    assert.deepEqual({ code: err.code, message: err.message }, { code: -32602, message: 'Invalid params' })
    assert.ok(Array.isArray(err.data) && err.data.length > 0)
    // rejected with the plain object of the answer, not an Error
    assert.ok(!(err instanceof Error))
    return true
  })
})

test('rpc-websockets: a broadcast by another client reaches on(\'broadcast\'), without subscribe()', { timeout: TIMEOUT_MS }, async (t) => {
  const { url } = await startServer(t)
  const listener = await rpcClient(t, url)
  const sender = await rpcClient(t, url)

  const heard = nextEvent(listener, 'broadcast')
  const echoed = nextEvent(sender, 'broadcast')
  assert.deepEqual(await sender.call('broadcast', { text: 'to all' }), { published: true })
  const params = await heard as { text: string, from: string }
  assert.deepEqual(params, { text: 'to all', from: params.from })
  assert.match(params.from, CLIENT_ID)
  assert.deepEqual(await echoed, params)

  // its subscribe() asks the server for `rpc.on`, an rpc-websockets server's own method: not a hub method
  await assert.rejects(listener.subscribe('broadcast'), { code: -32601, message: 'Method not found', data: { method: 'rpc.on' } })
  // and the listener still hears broadcasts, as before
  const again = nextEvent(listener, 'broadcast')
  await sender.notify('broadcast', { text: 'once more' })
  assert.deepEqual(await again, { text: 'once more', from: params.from })
})

test('rpc-websockets: a channel\'s messages reach on(\'message\') after call(\'subscribe\')', { timeout: TIMEOUT_MS }, async (t) => {
  const { url } = await startServer(t)
  const reader = await rpcClient(t, url)
  const writer = await rpcClient(t, url)

  assert.deepEqual(await reader.call('subscribe', { channel: 'room' }),
    { channel: 'room', subscribed: true, epoch: '', offset: 0, recovered: false, publications: [] })
  const message = nextEvent(reader, 'message')
  await writer.call('publish', { channel: 'room', data: { n: 1 } })
  const params = await message as { from: string }
  assert.deepEqual(params, { channel: 'room', data: { n: 1 }, from: params.from })
})

test('rpc-websockets: with auth on, the token goes in the Authorization header through its ws options', { timeout: TIMEOUT_MS }, async (t) => {
  const { url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alice:tok1' })
  const client = await rpcClient(t, url, { headers: { authorization: 'Bearer tok1' } })
  await client.call('subscribe', { channel: 'mine' })
  const present = await client.call('presence', { channel: 'mine' }) as { clients: Array<{ id: string }> }
  assert.deepEqual(present, { channel: 'mine', count: 1, clients: [{ id: present.clients[0]!.id, user: 'alice' }] })

  // without it, the refused upgrade surfaces as its 'error' event
  await assert.rejects(rpcClient(t, url), { message: 'Unexpected server response: 401' })
})

test('rpc-websockets: its reconnect opens a new connection with no channels; call() while away rejects at once', { timeout: TIMEOUT_MS }, async (t) => {
  const { app, url } = await startServer(t)
  const client = await rpcClient(t, url, { reconnect: true, reconnect_interval: 100, max_reconnects: 3 })
  await client.call('subscribe', { channel: 'room', presence: true })
  const present = await client.call('presence', { channel: 'room' }) as { clients: Array<{ id: string }> }
  const firstId = present.clients[0]!.id

  const closed = new Promise<number>((resolve) => client.once('close', resolve))
  const reopened = new Promise<void>((resolve) => client.once('open', () => resolve()))
  assert.equal(app.wsHub.disconnect(firstId, 4000, 'bye'), true)
  assert.equal(await closed, 4000)
  await assert.rejects(client.call('self.reply', { text: 'x' }), { message: 'socket not ready' })

  await reopened
  // the old connection left the channel, and the new one never joined it
  assert.deepEqual(await client.call('presence', { channel: 'room' }), { channel: 'room', count: 0, clients: [] })
})

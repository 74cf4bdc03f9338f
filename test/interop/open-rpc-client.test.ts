// @open-rpc/client-js with its WebSocketTransport, unmodified, against the hub: requests, error answers, and server
// notifications. What of its API maps and what does not is in docs/client.md ("Other clients").
import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import { Client, JSONRPCError, RequestManager, WebSocketTransport } from '@open-rpc/client-js'
import { connect } from '../helpers/client.js'
import { startServer } from '../helpers/server.js'

const TIMEOUT_MS = 30_000
const CLIENT_ID = /^[0-9a-f]{8}\.[0-9a-z]+$/

interface Notification { jsonrpc: string, method: string, params?: unknown }

/** A connected client, closed after the test, with every notification it gets queued in order. */
async function openRpcClient (t: TestContext, url: string) {
  const transport = new WebSocketTransport(url)
  const client = new Client(new RequestManager([transport]))
  t.after(() => client.close())
  const notifications: Notification[] = []
  const waiters: Array<(notification: Notification) => void> = []
  client.onNotification((notification) => {
    const waiter = waiters.shift()
    if (waiter === undefined) notifications.push(notification as Notification)
    else waiter(notification as Notification)
  })
  // its requests wait for the connection; this one proves it is open
  assert.deepEqual(await client.request({ method: 'self.reply', params: { text: 'ready' } }), { text: 'ready' })
  const nextNotification = (): Promise<Notification> => {
    const queued = notifications.shift()
    return queued === undefined ? new Promise((resolve) => waiters.push(resolve)) : Promise.resolve(queued)
  }
  return { client, transport, nextNotification }
}

test('@open-rpc/client-js: request() gets the result, by name and with no params', { timeout: TIMEOUT_MS }, async (t) => {
  const { url } = await startServer(t)
  const { client } = await openRpcClient(t, url)
  assert.deepEqual(await client.request({ method: 'self.reply', params: { text: 'hi' } }), { text: 'hi' })
  // no params: it sends `params: []`, which rpc.discover takes
  const document = await client.request({ method: 'rpc.discover' }) as { openrpc: string, methods: Array<{ name: string }> }
  assert.equal(document.openrpc, '1.3.2')
  assert.ok(document.methods.some((method) => method.name === 'broadcast'))
})

test('@open-rpc/client-js: an error answer rejects request() with its JSONRPCError, carrying our code', { timeout: TIMEOUT_MS }, async (t) => {
  const { url } = await startServer(t)
  const { client } = await openRpcClient(t, url)
  await assert.rejects(client.request({ method: 'nope', params: {} }), (err: JSONRPCError) => {
    assert.ok(err instanceof JSONRPCError)
    assert.deepEqual({ code: err.code, message: err.message, data: err.data }, { code: -32601, message: 'Method not found', data: { method: 'nope' } })
    return true
  })
  await assert.rejects(client.request({ method: 'subscribe', params: { channel: 'no spaces' } }), (err: JSONRPCError) => {
    assert.ok(err instanceof JSONRPCError)
    assert.deepEqual({ code: err.code, message: err.message }, { code: -32602, message: 'Invalid params' })
    return true
  })
  // a by-position call where the method takes names
  await assert.rejects(client.request({ method: 'self.reply', params: ['hi'] }), { code: -32602 })
})

test('@open-rpc/client-js: broadcasts by another client reach onNotification, whole', { timeout: TIMEOUT_MS }, async (t) => {
  const { url } = await startServer(t)
  const { nextNotification } = await openRpcClient(t, url)
  const sender = await openRpcClient(t, url)

  assert.deepEqual(await sender.client.request({ method: 'broadcast', params: { text: 'to all' } }), { published: true })
  const heard = await nextNotification()
  const from = (heard.params as { from: string }).from
  assert.match(from, CLIENT_ID)
  assert.deepEqual(heard, { jsonrpc: '2.0', method: 'broadcast', params: { text: 'to all', from } })
  assert.deepEqual(await sender.nextNotification(), heard)

  // its notify() sends a JSON-RPC notification: the broadcast goes out, and nothing answers it
  await sender.client.notify({ method: 'broadcast', params: { text: 'quiet' } })
  assert.deepEqual(await nextNotification(), { jsonrpc: '2.0', method: 'broadcast', params: { text: 'quiet', from } })
})

// one handler for every notification: a channel's messages arrive through it too, told apart by `method`
test('@open-rpc/client-js: a channel\'s messages reach onNotification after request(\'subscribe\')', { timeout: TIMEOUT_MS }, async (t) => {
  const { url } = await startServer(t)
  const { client, nextNotification } = await openRpcClient(t, url)
  const writer = await connect(t, url)

  await client.request({ method: 'subscribe', params: { channel: 'room' } })
  writer.send({ jsonrpc: '2.0', id: 1, method: 'publish', params: { channel: 'room', data: [1, 2] } })
  const message = await nextNotification()
  assert.deepEqual(message, { jsonrpc: '2.0', method: 'message', params: { channel: 'room', data: [1, 2], from: (message.params as { from: string }).from } })
})

test('@open-rpc/client-js: with auth on, the token goes in the URL\'s access_token (its transport takes no headers)', { timeout: TIMEOUT_MS }, async (t) => {
  const { url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alice:tok1' })
  const { client } = await openRpcClient(t, `${url}?access_token=tok1`)
  await client.request({ method: 'subscribe', params: { channel: 'mine' } })
  const present = await client.request({ method: 'presence', params: { channel: 'mine' } }) as { clients: Array<{ id: string }> }
  assert.deepEqual(present, { channel: 'mine', count: 1, clients: [{ id: present.clients[0]!.id, user: 'alice' }] })
})

test('@open-rpc/client-js: no reconnect: once the connection is closed, a request waits for its timeout (code 7777)', { timeout: TIMEOUT_MS }, async (t) => {
  const { app, url } = await startServer(t)
  const { client, transport, nextNotification } = await openRpcClient(t, url)
  await client.notify({ method: 'broadcast', params: { text: 'who am i' } })
  const { from } = (await nextNotification()).params as { from: string }

  const closed = once(transport.connection, 'close')
  assert.equal(app.wsHub.disconnect(from, 4000, 'bye'), true)
  assert.equal((await closed)[0], 4000)
  await assert.rejects(client.request({ method: 'self.reply', params: { text: 'x' } }, 500), (err: JSONRPCError) => {
    assert.ok(err instanceof JSONRPCError)
    assert.equal(err.code, 7777)
    return true
  })
})

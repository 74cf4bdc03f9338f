import assert from 'node:assert/strict'
import { test } from 'node:test'
import Type from 'typebox'
import { startServer } from './helpers/server.js'
import { connect, type TestClient } from './helpers/client.js'
import { defineMethod } from '../src/methods/method.js'
import { RpcError } from '../src/rpc/rpc-error.js'

// The examples of JSON-RPC 2.0 §7, adapted to this server's methods, plus the rules around them.

const failing = defineMethod({
  name: 'test.fail',
  params: Type.Object({ how: Type.Enum(['crash', 'rpc']) }),
  handle ({ how }) {
    if (how === 'rpc') throw new RpcError(-32050, 'Out of widgets', { left: 0 })
    throw new Error('database password is hunter2')
  }
})

async function setup (t: import('node:test').TestContext) {
  const { url } = await startServer(t, {}, { methods: [failing] })
  return connect(t, url)
}

/** Proves that nothing was answered to what came before: the echo is the very next frame. */
async function assertNothingBefore (client: TestClient, id: number) {
  client.send({ jsonrpc: '2.0', id, method: 'self.reply', params: { text: 'marker' } })
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id, result: { text: 'marker' } })
}

test('a call with named params gets its result under the same id', async (t) => {
  const client = await setup(t)
  client.sendRaw('{"jsonrpc": "2.0", "method": "self.reply", "params": {"text": "subtract"}, "id": 3}')
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: 3, result: { text: 'subtract' } })
})

test('ids come back as sent: strings, numbers, fractions and null', async (t) => {
  const client = await setup(t)
  for (const id of ['abc', 0, -7, 1.5, 2 ** 40, null, '']) {
    client.send({ jsonrpc: '2.0', id, method: 'self.reply', params: { text: 'x' } })
    assert.deepEqual(await client.next(), { jsonrpc: '2.0', id, result: { text: 'x' } })
  }
})

test('a notification gets no response, not even an error', async (t) => {
  const client = await setup(t)
  client.sendRaw('{"jsonrpc": "2.0", "method": "self.reply", "params": {"text": "update"}}')
  client.sendRaw('{"jsonrpc": "2.0", "method": "foobar"}')
  client.sendRaw('{"jsonrpc": "2.0", "method": "self.reply", "params": {"text": 5}}')
  client.sendRaw('{"jsonrpc": "2.0", "method": "test.fail", "params": {"how": "crash"}}')
  await assertNothingBefore(client, 99)
})

test('a call of a method that does not exist gets -32601', async (t) => {
  const client = await setup(t)
  client.sendRaw('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}')
  assert.deepEqual(await client.next(), {
    jsonrpc: '2.0', id: '1', error: { code: -32601, message: 'Method not found', data: { method: 'foobar' } }
  })
})

test('invalid JSON gets -32700 with a null id', async (t) => {
  const client = await setup(t)
  client.sendRaw('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } })
})

test('an invalid request object gets -32600 with a null id', async (t) => {
  const client = await setup(t)
  client.sendRaw('{"jsonrpc": "2.0", "method": 1, "params": "bar"}')
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } })
})

test('invalid requests whose id can be read are answered under that id', async (t) => {
  const client = await setup(t)
  const cases = [
    { jsonrpc: '1.0', method: 'self.reply', params: { text: 'a' }, id: 1 },
    { method: 'self.reply', params: { text: 'a' }, id: 2 },
    { jsonrpc: '2.0', params: { text: 'a' }, id: 3 },
    { jsonrpc: '2.0', method: 'self.reply', params: 'text', id: 4 },
    { jsonrpc: '2.0', method: 'self.reply', params: null, id: 5 }
  ]
  for (const request of cases) {
    client.send(request)
    assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: request.id, error: { code: -32600, message: 'Invalid Request' } })
  }
  client.send({ jsonrpc: '2.0', method: 'self.reply', params: { text: 'a' }, id: { no: 'objects' } })
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } })
})

test('params that do not match the schema get -32602 naming the field', async (t) => {
  const client = await setup(t)
  client.send({ jsonrpc: '2.0', id: 1, method: 'self.reply', params: { text: 42 } })
  assert.deepEqual(await client.next(), {
    jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'Invalid params', data: [{ path: '/text', message: 'must be string' }] }
  })
  client.send({ jsonrpc: '2.0', id: 2, method: 'self.reply', params: ['positional'] })
  assert.equal((await client.next()).error.code, -32602)
  client.send({ jsonrpc: '2.0', id: 3, method: 'broadcast' })
  assert.deepEqual(await client.next(), {
    jsonrpc: '2.0', id: 3, error: { code: -32602, message: 'Invalid params', data: [{ path: '', message: 'must have required properties text' }] }
  })
})

test('a batch with invalid JSON gets a single -32700', async (t) => {
  const client = await setup(t)
  client.sendRaw('[{"jsonrpc": "2.0", "method": "self.reply", "params": {"text": "a"}, "id": "1"},{"jsonrpc": "2.0", "method"]')
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } })
})

test('an empty array gets a single -32600, not an empty batch', async (t) => {
  const client = await setup(t)
  client.sendRaw('[]')
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } })
})

test('a batch of non-requests gets one -32600 per element', async (t) => {
  const client = await setup(t)
  const invalid = { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } }
  client.sendRaw('[1]')
  assert.deepEqual(await client.next(), [invalid])
  client.sendRaw('[1,2,3]')
  assert.deepEqual(await client.next(), [invalid, invalid, invalid])
})

test('a mixed batch gets the responses to its non-notifications, in one array', async (t) => {
  const client = await setup(t)
  client.sendRaw(`[
    {"jsonrpc": "2.0", "method": "self.reply", "params": {"text": "sum"}, "id": "1"},
    {"jsonrpc": "2.0", "method": "self.reply", "params": {"text": "notify_hello"}},
    {"jsonrpc": "2.0", "method": "self.reply", "params": {"text": "subtract"}, "id": "2"},
    {"foo": "boo"},
    {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
    {"jsonrpc": "2.0", "method": "self.reply", "params": {"text": "get_data"}, "id": "9"}
  ]`)
  assert.deepEqual(await client.next(), [
    { jsonrpc: '2.0', id: '1', result: { text: 'sum' } },
    { jsonrpc: '2.0', id: '2', result: { text: 'subtract' } },
    { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request' } },
    { jsonrpc: '2.0', id: '5', error: { code: -32601, message: 'Method not found', data: { method: 'foo.get' } } },
    { jsonrpc: '2.0', id: '9', result: { text: 'get_data' } }
  ])
})

test('a batch of notifications only gets nothing back', async (t) => {
  const client = await setup(t)
  client.sendRaw(`[
    {"jsonrpc": "2.0", "method": "self.reply", "params": {"text": "a"}},
    {"jsonrpc": "2.0", "method": "self.reply", "params": {"text": "b"}}
  ]`)
  await assertNothingBefore(client, 7)
})

test('a handler that crashes answers -32603 without its message or stack, and the connection goes on', async (t) => {
  const client = await setup(t)
  client.send({ jsonrpc: '2.0', id: 1, method: 'test.fail', params: { how: 'crash' } })
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'Internal error' } })
  await assertNothingBefore(client, 2)
})

test('an RpcError thrown on purpose reaches the client as it is', async (t) => {
  const client = await setup(t)
  client.send({ jsonrpc: '2.0', id: 1, method: 'test.fail', params: { how: 'rpc' } })
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', id: 1, error: { code: -32050, message: 'Out of widgets', data: { left: 0 } } })
})

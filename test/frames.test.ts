import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startServer } from './helpers/server.js'
import { connect } from './helpers/client.js'

test('a binary frame closes the connection with 1003', async (t) => {
  const { url } = await startServer(t)
  const client = await connect(t, url)
  const bystander = await connect(t, url)
  client.sendRaw(Buffer.from('{"jsonrpc":"2.0","id":1,"method":"self.reply","params":{"text":"x"}}'), { binary: true })
  assert.deepEqual(await client.closed, { code: 1003, reason: 'binary frames are not supported' })
  assert.deepEqual(await bystander.call('self.reply', { text: 'still here' }), { jsonrpc: '2.0', id: 1, result: { text: 'still here' } })
})

test('a frame over the max payload closes the connection with 1009', async (t) => {
  const { url } = await startServer(t, { WS_MAX_PAYLOAD_BYTES: 1024 })
  const client = await connect(t, url)
  const bystander = await connect(t, url)
  client.send({ jsonrpc: '2.0', id: 1, method: 'self.reply', params: { text: 'x'.repeat(2000) } })
  assert.equal((await client.closed).code, 1009)
  assert.deepEqual(await bystander.call('self.reply', { text: 'ok' }), { jsonrpc: '2.0', id: 1, result: { text: 'ok' } })
})

test('a frame just under the max payload is answered', async (t) => {
  const { url } = await startServer(t, { WS_MAX_PAYLOAD_BYTES: 1024 })
  const client = await connect(t, url)
  const text = 'y'.repeat(1024 - 80)
  const reply = await client.call('self.reply', { text })
  assert.deepEqual(reply, { jsonrpc: '2.0', id: 1, result: { text } })
})

test('errors of every kind leave the connection usable', async (t) => {
  const { url } = await startServer(t)
  const client = await connect(t, url)
  for (const bad of ['nope', '[]', '{"jsonrpc":"2.0","id":1,"method":"missing"}', '{"jsonrpc":"2.0","id":2,"method":"self.reply"}', '"a string"', 'null']) {
    client.sendRaw(bad)
    assert.ok('error' in (await client.next()), `answered ${bad} with an error`)
  }
  assert.deepEqual(await client.call('self.reply', { text: 'alive' }), { jsonrpc: '2.0', id: 1, result: { text: 'alive' } })
})

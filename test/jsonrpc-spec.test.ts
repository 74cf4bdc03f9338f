import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startServer } from './helpers/server.js'
import { connect } from './helpers/client.js'

test('self.reply answers the sender and no one else', async (t) => {
  const { url } = await startServer(t)
  const alice = await connect(t, url)
  const bob = await connect(t, url)

  alice.send({ jsonrpc: '2.0', id: 1, method: 'self.reply', params: { text: 'hi' } })
  assert.deepEqual(await alice.next(), { jsonrpc: '2.0', id: 1, result: { text: 'hi' } })

  // next() is Bob's very next frame: had Alice's reply reached him, it would arrive before this one
  bob.send({ jsonrpc: '2.0', id: 2, method: 'self.reply', params: { text: 'me' } })
  assert.deepEqual(await bob.next(), { jsonrpc: '2.0', id: 2, result: { text: 'me' } })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startServer } from './helpers/server.js'
import { connect } from './helpers/client.js'

test('broadcast reaches every client once, the sender included, and the sender gets a result', async (t) => {
  const { url } = await startServer(t)
  const clients = await Promise.all([1, 2, 3, 4].map(() => connect(t, url)))
  const [sender] = clients

  sender!.send({ jsonrpc: '2.0', id: 'b1', method: 'broadcast', params: { text: 'Message to everyone!' } })

  const notifications = await Promise.all(clients.slice(1).map((client) => client.next()))
  const senderFrames = [await sender!.next(), await sender!.next()]
  const fromId = notifications[0].params.from
  assert.match(fromId, /^[0-9a-f]{8}\.[0-9a-z]+$/)
  const expected = { jsonrpc: '2.0', method: 'broadcast', params: { text: 'Message to everyone!', from: fromId } }
  for (const notification of notifications) assert.deepEqual(notification, expected)
  assert.deepEqual(senderFrames.sort((a, b) => ('id' in a ? 1 : 0) - ('id' in b ? 1 : 0)), [
    expected,
    { jsonrpc: '2.0', id: 'b1', result: { published: true } }
  ])

  // exactly once: each client's next frame is its own echo, not a second copy
  for (const [i, client] of clients.entries()) {
    assert.deepEqual(await client.call('self.reply', { text: `after-${i}` }, i), { jsonrpc: '2.0', id: i, result: { text: `after-${i}` } })
  }
})

test('the from field names the sender, whoever sends', async (t) => {
  const { url } = await startServer(t)
  const alice = await connect(t, url)
  const bob = await connect(t, url)

  bob.send({ jsonrpc: '2.0', method: 'broadcast', params: { text: 'from bob' } })
  const atAlice = await alice.next()
  const atBob = await bob.next()
  assert.deepEqual(atAlice, atBob)

  alice.send({ jsonrpc: '2.0', method: 'broadcast', params: { text: 'from alice' } })
  const second = await bob.next()
  assert.equal(second.params.text, 'from alice')
  assert.notEqual(second.params.from, atBob.params.from)
  assert.deepEqual(await alice.next(), second)
})

test('a broadcast notification is delivered but answers nothing to its sender', async (t) => {
  const { url } = await startServer(t)
  const sender = await connect(t, url)
  const other = await connect(t, url)

  sender.send({ jsonrpc: '2.0', method: 'broadcast', params: { text: 'quiet' } })
  assert.equal((await other.next()).params.text, 'quiet')
  assert.equal((await sender.next()).params.text, 'quiet')
  assert.deepEqual(await sender.call('self.reply', { text: 'next' }, 5), { jsonrpc: '2.0', id: 5, result: { text: 'next' } })
})

test('broadcasts keep their order for every receiver', async (t) => {
  const { url } = await startServer(t)
  const sender = await connect(t, url)
  const receiver = await connect(t, url)
  const count = 200
  for (let i = 0; i < count; i++) sender.send({ jsonrpc: '2.0', method: 'broadcast', params: { text: String(i) } })
  const texts: string[] = []
  for (let i = 0; i < count; i++) texts.push((await receiver.next()).params.text)
  assert.deepEqual(texts, Array.from({ length: count }, (_, i) => String(i)))
})

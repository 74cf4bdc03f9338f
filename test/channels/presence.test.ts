import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect, type TestClient } from '../helpers/client.js'
import { startServer } from '../helpers/server.js'

const join = (channel: string, client: { id: string, user?: string }) => ({ jsonrpc: '2.0', method: 'join', params: { channel, client } })
const leave = (channel: string, client: { id: string, user?: string }) => ({ jsonrpc: '2.0', method: 'leave', params: { channel, client } })

async function assertNothingElse (client: TestClient) {
  assert.deepEqual(await client.call('self.reply', { text: 'ping' }, 'probe'), { jsonrpc: '2.0', id: 'probe', result: { text: 'ping' } })
}

test('presence and presence.count follow joins, unsubscribes and closed sockets', async (t) => {
  const { url } = await startServer(t, { WS_INSTANCE_ID: 'n' })
  const watcher = await connect(t, url)
  const alice = await connect(t, url)
  const bob = await connect(t, url)
  assert.deepEqual(await watcher.call('presence', { channel: 'room' }, 1), { jsonrpc: '2.0', id: 1, result: { channel: 'room', count: 0, clients: [] } })

  await watcher.call('subscribe', { channel: 'room', presence: true }, 2)
  assert.deepEqual(await watcher.next(), join('room', { id: 'n.0' }))
  await alice.call('subscribe', { channel: 'room' }, 3)
  assert.deepEqual(await watcher.next(), join('room', { id: 'n.1' }))
  await bob.call('subscribe', { channel: 'room' }, 4)
  assert.deepEqual(await watcher.next(), join('room', { id: 'n.2' }))
  assert.deepEqual(await bob.call('presence', { channel: 'room' }, 5),
    { jsonrpc: '2.0', id: 5, result: { channel: 'room', count: 3, clients: [{ id: 'n.0' }, { id: 'n.1' }, { id: 'n.2' }] } })
  assert.deepEqual(await bob.call('presence.count', { channel: 'room' }, 6), { jsonrpc: '2.0', id: 6, result: { channel: 'room', count: 3 } })

  await alice.call('unsubscribe', { channel: 'room' }, 7)
  assert.deepEqual(await watcher.next(), leave('room', { id: 'n.1' }))
  bob.ws.close()
  assert.deepEqual(await watcher.next(), leave('room', { id: 'n.2' }))
  assert.deepEqual(await watcher.call('presence', { channel: 'room' }, 8),
    { jsonrpc: '2.0', id: 8, result: { channel: 'room', count: 1, clients: [{ id: 'n.0' }] } })
  assert.deepEqual(await alice.call('presence.count', { channel: 'room' }, 9), { jsonrpc: '2.0', id: 9, result: { channel: 'room', count: 1 } })
})

test('join and leave go only to subscribers that asked for presence, on that channel only', async (t) => {
  const { url } = await startServer(t, { WS_INSTANCE_ID: 'n' })
  const watcher = await connect(t, url)
  const plain = await connect(t, url)
  const elsewhere = await connect(t, url)
  const joiner = await connect(t, url)
  await watcher.call('subscribe', { channel: 'room', presence: true })
  assert.deepEqual(await watcher.next(), join('room', { id: 'n.0' }))
  await plain.call('subscribe', { channel: 'room' })
  assert.deepEqual(await watcher.next(), join('room', { id: 'n.1' }))
  await elsewhere.call('subscribe', { channel: 'other', presence: true })
  assert.deepEqual(await elsewhere.next(), join('other', { id: 'n.2' }))

  await joiner.call('subscribe', { channel: 'room' })
  assert.deepEqual(await watcher.next(), join('room', { id: 'n.3' }))
  joiner.ws.close()
  assert.deepEqual(await watcher.next(), leave('room', { id: 'n.3' }))
  await Promise.all([plain, elsewhere].map(assertNothingElse))
})

test('subscribing again with presence: true turns join and leave on', async (t) => {
  const { url } = await startServer(t, { WS_INSTANCE_ID: 'n' })
  const client = await connect(t, url)
  const other = await connect(t, url)
  await client.call('subscribe', { channel: 'room' }, 1)
  assert.deepEqual(await client.call('subscribe', { channel: 'room', presence: true }, 2), { jsonrpc: '2.0', id: 2, result: { channel: 'room', subscribed: true, epoch: '', offset: 0, recovered: false, publications: [] } })
  await other.call('subscribe', { channel: 'room' })
  assert.deepEqual(await client.next(), join('room', { id: 'n.1' }))
})

test('a closed socket leaves every channel it was in', async (t) => {
  const { url, app } = await startServer(t, { WS_INSTANCE_ID: 'n' })
  const watcher = await connect(t, url)
  const leaver = await connect(t, url)
  for (const channel of ['a', 'b', 'c']) {
    await watcher.call('subscribe', { channel, presence: true })
    assert.deepEqual(await watcher.next(), join(channel, { id: 'n.0' }))
    await leaver.call('subscribe', { channel })
    assert.deepEqual(await watcher.next(), join(channel, { id: 'n.1' }))
  }
  leaver.ws.close()
  const leaves = [await watcher.next(), await watcher.next(), await watcher.next()]
  assert.deepEqual(leaves, ['a', 'b', 'c'].map((channel) => leave(channel, { id: 'n.1' })))
  assert.deepEqual(await app.wsHub.presence('b'), { channel: 'b', count: 1, clients: [{ id: 'n.0' }] })
})

test('with named tokens the identity is the name and presence shows it as user; unnamed tokens keep token-<i>', async (t) => {
  const { url, app } = await startServer(t, { WS_INSTANCE_ID: 'n', WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alice:tok1,plain-secret,bob:tok:with:colons' })
  const identities: Array<string | undefined> = []
  app.wsHub.on('connect', (client) => identities.push(client.identity))
  const alice = await connect(t, url, { headers: { authorization: 'Bearer tok1' } })
  const plain = await connect(t, url, { headers: { authorization: 'Bearer plain-secret' } })
  const bob = await connect(t, url, { headers: { authorization: 'Bearer tok:with:colons' } })
  for (const client of [alice, plain, bob]) await client.call('subscribe', { channel: 'room' })
  assert.deepEqual(identities, ['alice', 'token-1', 'bob'])
  assert.deepEqual(await alice.call('presence', { channel: 'room' }, 2), {
    jsonrpc: '2.0',
    id: 2,
    result: { channel: 'room', count: 3, clients: [{ id: 'n.0', user: 'alice' }, { id: 'n.1', user: 'token-1' }, { id: 'n.2', user: 'bob' }] }
  })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { connect, type TestClient } from '../helpers/client.js'
import { fetchMetrics, metricValue, startServer } from '../helpers/server.js'

const subscribed = (id: number, channel: string) => ({ jsonrpc: '2.0', id, result: { channel, subscribed: true, epoch: '', offset: 0, recovered: false, publications: [] } })
const published = (id: number, channel: string) => ({ jsonrpc: '2.0', id, result: { channel, published: true, offset: 0, epoch: '' } })
const message = (channel: string, data: unknown, from: string) => ({ jsonrpc: '2.0', method: 'message', params: { channel, data, from } })

/** A round trip: had anything else been queued for the client, it would come before this answer. */
async function assertNothingElse (client: TestClient) {
  assert.deepEqual(await client.call('self.reply', { text: 'ping' }, 'probe'), { jsonrpc: '2.0', id: 'probe', result: { text: 'ping' } })
}

test('a publish reaches each subscriber once, the publisher too when subscribed, and no one else', async (t) => {
  const { url } = await startServer(t, { WS_INSTANCE_ID: 'n' })
  const alice = await connect(t, url)
  const bob = await connect(t, url)
  const carol = await connect(t, url)
  assert.deepEqual(await alice.call('subscribe', { channel: 'room' }, 1), subscribed(1, 'room'))
  assert.deepEqual(await bob.call('subscribe', { channel: 'room' }, 1), subscribed(1, 'room'))

  alice.send({ jsonrpc: '2.0', id: 2, method: 'publish', params: { channel: 'room', data: { text: 'hi', n: [1, 2] } } })
  // the local adapter delivers before it confirms, so the publisher's copy comes before its answer
  assert.deepEqual(await alice.next(), message('room', { text: 'hi', n: [1, 2] }, 'n.0'))
  assert.deepEqual(await alice.next(), published(2, 'room'))
  assert.deepEqual(await bob.next(), message('room', { text: 'hi', n: [1, 2] }, 'n.0'))

  // carol is not subscribed and may still publish; she does not get her own message
  assert.deepEqual(await carol.call('publish', { channel: 'room', data: 'from carol' }, 3), published(3, 'room'))
  assert.deepEqual(await alice.next(), message('room', 'from carol', 'n.2'))
  assert.deepEqual(await bob.next(), message('room', 'from carol', 'n.2'))
  await Promise.all([alice, bob, carol].map(assertNothingElse))
})

test('every JSON value is data, and a channel delivers only its own messages', async (t) => {
  const { url } = await startServer(t, { WS_INSTANCE_ID: 'n' })
  const sub = await connect(t, url)
  const other = await connect(t, url)
  await sub.call('subscribe', { channel: 'a' })
  await other.call('subscribe', { channel: 'b' })
  const values = [null, 0, -1.5, true, 'text', [], {}, { nested: { deep: ['x'] } }]
  for (const [i, data] of values.entries()) {
    sub.send({ jsonrpc: '2.0', id: i, method: 'publish', params: { channel: 'a', data } })
    assert.deepEqual([await sub.next(), await sub.next()], [message('a', data, 'n.0'), published(i, 'a')])
  }
  await assertNothingElse(other)
})

test('messages of one publisher arrive in the order they were published', async (t) => {
  const { url } = await startServer(t, { WS_INSTANCE_ID: 'n' })
  const publisher = await connect(t, url)
  const reader = await connect(t, url)
  await reader.call('subscribe', { channel: 'seq' })
  const count = 200
  // sent back to back, without waiting for answers
  for (let i = 0; i < count; i++) publisher.send({ jsonrpc: '2.0', id: i, method: 'publish', params: { channel: 'seq', data: i } })
  const received = []
  for (let i = 0; i < count; i++) received.push((await reader.next()).params.data)
  assert.deepEqual(received, Array.from({ length: count }, (_, i) => i))
})

test('subscribing twice is one subscription; unsubscribing from a channel one is not in is not an error', async (t) => {
  const { url, http } = await startServer(t, { WS_INSTANCE_ID: 'n' })
  const client = await connect(t, url)
  assert.deepEqual(await client.call('subscribe', { channel: 'twice' }, 1), subscribed(1, 'twice'))
  assert.deepEqual(await client.call('subscribe', { channel: 'twice' }, 2), subscribed(2, 'twice'))
  assert.equal(metricValue(await fetchMetrics(http), 'ws_subscriptions'), 1)
  client.send({ jsonrpc: '2.0', id: 3, method: 'publish', params: { channel: 'twice', data: 1 } })
  assert.deepEqual(await client.next(), message('twice', 1, 'n.0'))
  assert.deepEqual(await client.next(), published(3, 'twice'))

  assert.deepEqual(await client.call('unsubscribe', { channel: 'twice' }, 4), { jsonrpc: '2.0', id: 4, result: { channel: 'twice', subscribed: false } })
  assert.deepEqual(await client.call('unsubscribe', { channel: 'twice' }, 5), { jsonrpc: '2.0', id: 5, result: { channel: 'twice', subscribed: false } })
  assert.deepEqual(await client.call('unsubscribe', { channel: 'never' }, 6), { jsonrpc: '2.0', id: 6, result: { channel: 'never', subscribed: false } })
  // unsubscribed: its own publish no longer comes back
  assert.deepEqual(await client.call('publish', { channel: 'twice', data: 2 }, 7), published(7, 'twice'))
  await assertNothingElse(client)
})

test('a subscribe and an unsubscribe sent together are answered in order, and the unsubscribe wins', async (t) => {
  const { url, app } = await startServer(t, { WS_INSTANCE_ID: 'n' })
  const client = await connect(t, url)
  client.send([
    { jsonrpc: '2.0', id: 1, method: 'subscribe', params: { channel: 'flip' } },
    { jsonrpc: '2.0', id: 2, method: 'unsubscribe', params: { channel: 'flip' } }
  ])
  assert.deepEqual(await client.next(), [subscribed(1, 'flip'), { jsonrpc: '2.0', id: 2, result: { channel: 'flip', subscribed: false } }])
  assert.deepEqual(await app.wsHub.presence('flip'), { channel: 'flip', count: 0, clients: [] })
})

const badNames: Array<[string, unknown, Array<{ path: string, message: string }>]> = [
  ['empty', '', [{ path: '/channel', message: 'must not have fewer than 1 characters' }]],
  ['129 characters', 'x'.repeat(129), [{ path: '/channel', message: 'must not have more than 128 characters' }]],
  ['a space', 'a b', [{ path: '/channel', message: 'must match pattern "^[A-Za-z0-9_.:@-]*$"' }]],
  ['a slash', 'a/b', [{ path: '/channel', message: 'must match pattern "^[A-Za-z0-9_.:@-]*$"' }]],
  ['a NATS wildcard', 'a.*', [{ path: '/channel', message: 'must match pattern "^[A-Za-z0-9_.:@-]*$"' }]],
  ['a non-ASCII letter', 'café', [{ path: '/channel', message: 'must match pattern "^[A-Za-z0-9_.:@-]*$"' }]],
  ['a number', 42, [{ path: '/channel', message: 'must be string' }]],
  ['missing', undefined, [{ path: '', message: 'must have required properties channel' }]]
]

test('a bad channel name is refused with -32602 by every channel method, and nothing else changes', async (t) => {
  const { url, app } = await startServer(t, { WS_INSTANCE_ID: 'n' })
  const client = await connect(t, url)
  await client.call('subscribe', { channel: 'kept' })
  let id = 0
  for (const method of ['subscribe', 'unsubscribe', 'publish', 'presence', 'presence.count']) {
    for (const [name, channel, data] of badNames) {
      const params = method === 'publish' ? { channel, data: 1 } : { channel }
      const answer = await client.call(method, params, ++id)
      assert.deepEqual(answer, { jsonrpc: '2.0', id, error: { code: -32602, message: 'Invalid params', data } }, `${method} with ${name}`)
    }
  }
  // the longest and the widest good names pass
  for (const channel of ['x'.repeat(128), 'A-z_0.9:@-', 'user@example.com:orders']) {
    assert.deepEqual(await client.call('subscribe', { channel }, ++id), subscribed(id, channel))
  }
  assert.deepEqual((await app.wsHub.presence('kept')).count, 1)
})

test('a publish without data is refused with -32602', async (t) => {
  const { url } = await startServer(t)
  const client = await connect(t, url)
  assert.deepEqual(await client.call('publish', { channel: 'a' }, 1),
    { jsonrpc: '2.0', id: 1, error: { code: -32602, message: 'Invalid params', data: [{ path: '', message: 'must have required properties data' }] } })
})

test('past WS_MAX_CHANNELS_PER_CONNECTION a subscribe answers -32011, and leaving one makes room', async (t) => {
  const { url } = await startServer(t, { WS_MAX_CHANNELS_PER_CONNECTION: 2 })
  const client = await connect(t, url)
  assert.deepEqual(await client.call('subscribe', { channel: 'one' }, 1), subscribed(1, 'one'))
  assert.deepEqual(await client.call('subscribe', { channel: 'two' }, 2), subscribed(2, 'two'))
  assert.deepEqual(await client.call('subscribe', { channel: 'three' }, 3),
    { jsonrpc: '2.0', id: 3, error: { code: -32011, message: 'Too many channels', data: { limit: 2 } } })
  // a channel it already has is not a new one
  assert.deepEqual(await client.call('subscribe', { channel: 'two' }, 4), subscribed(4, 'two'))
  await client.call('unsubscribe', { channel: 'one' }, 5)
  assert.deepEqual(await client.call('subscribe', { channel: 'three' }, 6), subscribed(6, 'three'))
  // another connection has its own allowance
  const other = await connect(t, url)
  assert.deepEqual(await other.call('subscribe', { channel: 'three' }, 7), subscribed(7, 'three'))
})

test('WS_CHANNEL_PUBLISH=server refuses client publishes with -32010; subscribing still works', async (t) => {
  const { url, app } = await startServer(t, { WS_CHANNEL_PUBLISH: 'server', WS_INSTANCE_ID: 'n' })
  const client = await connect(t, url)
  assert.deepEqual(await client.call('subscribe', { channel: 'news' }, 1), subscribed(1, 'news'))
  assert.deepEqual(await client.call('publish', { channel: 'news', data: 'x' }, 2),
    { jsonrpc: '2.0', id: 2, error: { code: -32010, message: 'Not allowed', data: { action: 'publish', channel: 'news', reason: 'only the server publishes' } } })
  await app.wsHub.publish('news', { headline: 'server side' })
  assert.deepEqual(await client.next(), message('news', { headline: 'server side' }, 'server'))
})

test('the channel metrics count channels, subscriptions, published messages and subscribe waits, with no channel label', async (t) => {
  const { url, http } = await startServer(t)
  const a = await connect(t, url)
  const b = await connect(t, url)
  await a.call('subscribe', { channel: 'm1' })
  await a.call('subscribe', { channel: 'm2' })
  await b.call('subscribe', { channel: 'm1' })
  await b.call('publish', { channel: 'm1', data: 1 }, 2)
  await b.next()
  await a.call('publish', { channel: 'nobody', data: 1 }, 3)
  const text = await fetchMetrics(http)
  assert.deepEqual(
    ['ws_channels', 'ws_subscriptions', 'ws_channel_messages_total', 'ws_pubsub_subscribe_duration_seconds_count'].map((name) => metricValue(text, name)),
    [2, 3, 2, 2])
  assert.doesNotMatch(text, /channel="/)
  b.ws.close()
  await b.closed
  await a.call('unsubscribe', { channel: 'm2' })
  const after = await fetchMetrics(http)
  assert.deepEqual(['ws_channels', 'ws_subscriptions'].map((name) => metricValue(after, name)), [1, 1])
})

test('a frame at the payload limit is delivered, and data that outgrows it once re-serialized is refused, never acknowledged', async (t) => {
  const { url } = await startServer(t, { WS_INSTANCE_ID: 'n', WS_MAX_PAYLOAD_BYTES: 4096 })
  const alice = await connect(t, url)
  assert.deepEqual(await alice.call('subscribe', { channel: 'room' }, 1), subscribed(1, 'room'))

  // the whole request frame is exactly 4096 bytes; its notification is longer by `from` and the wrapper
  const frame = (text: string) => JSON.stringify({ jsonrpc: '2.0', method: 'publish', params: { channel: 'room', data: text }, id: 2 })
  const text = 'x'.repeat(4096 - frame('').length)
  assert.equal(Buffer.byteLength(frame(text)), 4096)
  alice.sendRaw(frame(text))
  assert.deepEqual(await alice.next(), message('room', text, 'n.0'))
  assert.deepEqual(await alice.next(), published(2, 'room'))

  // `1e20` is four bytes in the frame and 21 digits once written again: 800 of them outgrow the bound
  const numbers = `[${Array(800).fill('1e20').join(',')}]`
  alice.sendRaw(`{"jsonrpc":"2.0","method":"publish","params":{"channel":"room","data":${numbers}},"id":3}`)
  const refused = await alice.next()
  assert.deepEqual({ ...refused, error: { ...refused.error, data: undefined } }, { jsonrpc: '2.0', id: 3, error: { code: -32602, message: 'Invalid params', data: undefined } })
  assert.match(refused.error.data.message, /^the notification would be \d+ bytes, over 5120$/)
  await assertNothingElse(alice)
})

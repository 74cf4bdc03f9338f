import assert from 'node:assert/strict'
import { test, type TestContext } from 'node:test'
import { spawnServer } from '../helpers/child.js'
import { startServer } from '../helpers/server.js'
import { watchClient, type WatchedClient } from '../helpers/watched-client.js'

const RECONNECT = { minDelayMs: 50, maxDelayMs: 300 }

/** A client subscribed to `keep` and `drop`, each with one message received, and a publisher on the same server. */
async function subscribedToBoth (t: TestContext, url: string): Promise<{ watched: WatchedClient, publisher: WatchedClient }> {
  const watched = watchClient(t, url, { reconnect: RECONNECT })
  const keep = watched.subscribe('keep')
  const drop = watched.subscribe('drop')
  await Promise.all([keep.ready, drop.ready])
  const publisher = watchClient(t, url, { reconnect: RECONNECT })
  for (const channel of ['keep', 'drop']) await publisher.client.call('publish', { channel, data: 'before' })
  await watched.until(() => watched.messagesOf('keep').length === 1 && watched.messagesOf('drop').length === 1, 'one message on each channel')
  return { watched, publisher }
}

/**
 * After a reconnect that refused `drop` and restored `keep`: one error event naming `drop`, whose callbacks have
 * stopped, and `keep` still delivering what `publisher` publishes.
 */
async function assertDroppedAndKept (watched: WatchedClient, publisher: WatchedClient, code: number, data: unknown) {
  await watched.until(() => watched.subscribedOf('keep').length === 2 && watched.of('error').length > 0, 'keep restored and drop refused')
  const [refused, ...more] = watched.of('error')
  assert.deepEqual(more, [])
  assert.equal(refused!.error.name, 'HubError')
  assert.equal(refused!.error.code, code)
  assert.deepEqual(refused!.error.data, data)
  assert.match(refused!.error.message, /drop/)
  assert.equal(watched.subscribedOf('drop').length, 1)

  await publisher.client.call('publish', { channel: 'keep', data: 'still here' })
  await watched.until(() => watched.messagesOf('keep').length === 2, 'the live message on keep')
  assert.deepEqual(watched.dataOf('keep'), ['before', 'still here'])
  assert.deepEqual(watched.dataOf('drop'), ['before'])
  // dropped for good: subscribing to the channel again is allowed (it is no longer held)
  const again = watched.client.subscribe('drop', { onMessage: () => {} })
  await again.unsubscribe()
}

test('restarted with WS_MAX_CHANNELS_PER_CONNECTION=1, the server refuses the second resubscription (-32011): the client reports it once through `error`, drops it, and keeps the first', { timeout: 30_000 }, async (t) => {
  const first = await spawnServer(t, { WS_MAX_CHANNELS_PER_CONNECTION: '2' })
  const { watched, publisher } = await subscribedToBoth(t, first.url)

  first.proc.kill('SIGKILL')
  await first.exited
  // the client restores its subscriptions in the order they were made, so keep takes the one place
  const second = await spawnServer(t, { WS_MAX_CHANNELS_PER_CONNECTION: '1', WS_PORT: String(first.port) })
  await assertDroppedAndKept(watched, publisher, -32011, { limit: 1 })

  // the server holds keep alone; a later reconnect, with room again, does not bring drop back
  second.proc.kill('SIGKILL')
  await second.exited
  await spawnServer(t, { WS_MAX_CHANNELS_PER_CONNECTION: '2', WS_PORT: String(first.port) })
  await watched.until(() => watched.subscribedOf('keep').length === 3, 'keep restored again')
  const presence = await watched.client.call('presence', { channel: 'drop' })
  assert.deepEqual(presence, { channel: 'drop', count: 0, clients: [] })
  assert.equal(watched.subscribedOf('drop').length, 1)
  assert.equal(watched.of('error').length, 1)
})

test('a host app whose authorize refuses a channel after a restart: the resubscription answers -32010, the client reports it through `error` and drops it, the other continues', { timeout: 30_000 }, async (t) => {
  const first = await startServer(t, {}, { authorize: () => true })
  const { watched, publisher } = await subscribedToBoth(t, first.url)

  // a graceful close (1001), then the same port with a rule that no longer admits drop
  const port = new URL(first.url).port
  await first.app.close()
  await startServer(t, { WS_PORT: port }, { authorize: ({ action, channel }) => !(action === 'subscribe' && channel === 'drop') })
  await assertDroppedAndKept(watched, publisher, -32010, { action: 'subscribe', channel: 'drop', reason: 'refused by authorize' })
  const [drop1001] = watched.of('disconnected')
  assert.deepEqual([drop1001!.code, drop1001!.willReconnect], [1001, true])
})

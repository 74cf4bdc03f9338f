import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { MessageParams, ResyncParams, SubscribeResult } from '../../client/index.js'
import { startBroker } from '../helpers/brokers.js'
import { nextEvent, openClient, recordingWebSocket } from '../helpers/hub-client.js'
import { startServer } from '../helpers/server.js'

test('a resync naming a channel subscribes it again with recover on the same connection', { timeout: 60_000 }, async (t) => {
  // AOF: the history outlives the restart, so the same epoch continues
  const redis = await startBroker(t, 'redis', ['--appendonly', 'yes', '--appendfsync', 'always'])
  if (!redis) return
  const { app, url } = await startServer(t, {
    WS_PUBSUB_ENABLED: true,
    WS_PUBSUB_ADAPTER: 'redis',
    WS_REDIS_URL: redis.url,
    WS_HISTORY_SIZE: 100,
    WS_PUBSUB_RECONNECT_MIN_MS: 50,
    WS_PUBSUB_RECONNECT_MAX_MS: 200
  })
  const recorder = recordingWebSocket()
  const client = await openClient(t, url, { WebSocket: recorder.WebSocket })
  const messages: MessageParams[] = []
  const results: SubscribeResult[] = []
  let onSubscribed = () => {}
  const sub = client.subscribe('room', {
    onMessage: (message) => messages.push(message),
    onSubscribed: (result) => { results.push(result); onSubscribed() }
  })
  const { epoch } = await sub.ready
  for (const n of [1, 2]) await client.call('publish', { channel: 'room', data: n })
  while (messages.length < 2) await client.call('self.reply', { text: 'tick' })

  const resync = nextEvent(client, 'resync')
  const resubscribed = new Promise<void>((resolve) => { onSubscribed = resolve })
  await redis.kill()
  await redis.restart()
  const params: ResyncParams = await resync
  assert.equal(params.reason, 'pubsub_reconnected')
  assert.deepEqual(params.channels, ['room'])
  await resubscribed

  assert.equal(recorder.sockets.length, 1, 'the same connection')
  const subscribes = recorder.sent.filter((frame) => frame.method === 'subscribe').map((frame) => frame.params)
  assert.deepEqual(subscribes, [{ channel: 'room' }, { channel: 'room', recover: { offset: 2, epoch } }])
  assert.deepEqual(results.map((r) => [r.recovered, r.epoch, r.offset]), [[false, epoch, 0], [true, epoch, 2]])
  await app.wsHub.publish('room', 3)
  while (messages.length < 3) await client.call('self.reply', { text: 'tick' })
  assert.deepEqual(messages.map((m) => m.data), [1, 2, 3])
})

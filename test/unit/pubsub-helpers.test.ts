import assert from 'node:assert/strict'
import { test } from 'node:test'
import { backoffDelay } from '../../src/pubsub/backoff.js'
import { natsConnectOptions, redactUrl } from '../../src/pubsub/broker-url.js'
import { MalformedLog } from '../../src/pubsub/malformed-log.js'
import { MalformedEnvelopeError } from '../../src/pubsub/envelope.js'

test('reconnect delays double from the minimum up to the cap, never above it and at most 20% below', () => {
  const backoff = { minMs: 100, maxMs: 5000 }
  const nominal = [100, 200, 400, 800, 1600, 3200, 5000, 5000]
  for (let round = 0; round < 50; round++) {
    nominal.forEach((expected, i) => {
      const delay = backoffDelay(i + 1, backoff)
      assert.ok(delay <= expected && delay >= expected * 0.8, `attempt ${i + 1}: ${delay} not within [${expected * 0.8}, ${expected}]`)
    })
  }
  assert.ok(backoffDelay(10_000, backoff) <= 5000)
})

test('nats credentials come out of the URL: user and password, token, tls and several servers', () => {
  assert.deepEqual(natsConnectOptions('nats://127.0.0.1:4222'), { servers: ['127.0.0.1:4222'] })
  assert.deepEqual(natsConnectOptions('nats://hub:p%40ss@nats:4223'), { servers: ['nats:4223'], user: 'hub', pass: 'p@ss' })
  assert.deepEqual(natsConnectOptions('nats://s3cret@nats'), { servers: ['nats:4222'], token: 's3cret' })
  assert.deepEqual(natsConnectOptions('tls://a:1, tls://b:2'), { servers: ['a:1', 'b:2'], tls: {} })
})

test('passwords and tokens never reach a log line', () => {
  assert.equal(redactUrl('redis://:s3cret@redis:6379/0'), 'redis://:***@redis:6379/0')
  assert.equal(redactUrl('rediss://app:s3cret@redis:6380/1'), 'rediss://app:***@redis:6380/1')
  assert.equal(redactUrl('redis://redis:6379/0'), 'redis://redis:6379/0')
  assert.equal(redactUrl('nats://tok3n@nats:4222'), 'nats://***@nats:4222')
  assert.equal(redactUrl('nats://a:b@n1:4222,nats://n2:4222'), 'nats://a:***@n1:4222,nats://n2:4222')
})

test('malformed messages log once per interval, then say how many went by quietly', () => {
  const lines: Array<[object, string | undefined]> = []
  const log = { error () {}, info () {}, debug () {}, warn (obj: object, msg?: string) { lines.push([obj, msg]) } }
  let now = 1_000
  const malformed = new MalformedLog(log, 10_000, () => now)
  for (let i = 0; i < 5; i++) malformed.note(new MalformedEnvelopeError('no header'))
  now += 9_999
  malformed.note(new MalformedEnvelopeError('no header'))
  now += 1
  malformed.note(new MalformedEnvelopeError('empty payload'))
  assert.deepEqual(lines, [
    [{ reason: 'malformed envelope: no header', droppedSinceLastLog: 0 }, 'dropped a malformed pub/sub message'],
    [{ reason: 'malformed envelope: empty payload', droppedSinceLastLog: 5 }, 'dropped a malformed pub/sub message']
  ])
})

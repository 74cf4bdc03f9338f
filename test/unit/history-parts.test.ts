import assert from 'node:assert/strict'
import { test } from 'node:test'
import { HistoryPolicies } from '../../src/channels/history-policies.js'
import { readPositionPrefix, spliceMessagePosition, withPositionPrefix } from '../../src/pubsub/position.js'
import { messageNotification } from '../../src/channels/notification.js'

test('a position travels in front of the envelope and back; anything else is no prefix or malformed', () => {
  const envelope = Buffer.from('{"v":1}\n{}')
  const prefixed = withPositionPrefix({ offset: 42, epoch: 'Ab_-9' }, envelope)
  assert.equal(prefixed.toString(), '#42,Ab_-9\n{"v":1}\n{}')
  const read = readPositionPrefix(prefixed)
  assert.ok(read !== undefined && read !== 'malformed')
  assert.deepEqual([read.position, read.rest.toString()], [{ offset: 42, epoch: 'Ab_-9' }, '{"v":1}\n{}'])
  assert.equal(readPositionPrefix(envelope), undefined)
  for (const bad of ['#0,e\n{}', '#-1,e\n{}', '#1.5,e\n{}', '#x,e\n{}', '#1,\n{}', '#1,e"x\n{}', '#1e\n{}', '#1,e', `#1,${'e'.repeat(120)}\n{}`]) {
    assert.equal(readPositionPrefix(Buffer.from(bad)), 'malformed', bad)
  }
})

test('the position joins a message notification\'s params, and stays valid JSON', () => {
  const payload = messageNotification('room', { text: 'hi }}' }, 'n.0')
  const spliced = spliceMessagePosition(payload, { offset: 7, epoch: 'E1' })!
  assert.deepEqual(JSON.parse(spliced.toString()), { jsonrpc: '2.0', method: 'message', params: { channel: 'room', data: { text: 'hi }}' }, from: 'n.0', offset: 7, epoch: 'E1' } })
  assert.equal(spliceMessagePosition(Buffer.from('{"a":1}'), { offset: 1, epoch: 'e' }), undefined)
})

test('history policies: the defaults, a rule per channel, cached, and a bad answer named', () => {
  assert.equal(new HistoryPolicies({ size: 0, ttlMs: 1000 }).mayKeep, false)
  assert.deepEqual(new HistoryPolicies({ size: 0, ttlMs: 1000 }).of('a'), { size: 0, ttlMs: 0 })
  assert.deepEqual(new HistoryPolicies({ size: 5, ttlMs: 1000 }).of('a'), { size: 5, ttlMs: 1000 })
  let asked = 0
  const policies = new HistoryPolicies({ size: 10, ttlMs: 1000 }, (channel) => {
    asked++
    if (channel.startsWith('ticker:')) return { size: 0 }
    if (channel.startsWith('chat:')) return { size: 100 }
    if (channel === 'bad') return { size: -1 }
    return undefined
  })
  assert.equal(policies.mayKeep, true)
  assert.deepEqual([policies.of('ticker:1'), policies.of('chat:1'), policies.of('room')], [{ size: 0, ttlMs: 0 }, { size: 100, ttlMs: 1000 }, { size: 10, ttlMs: 1000 }])
  policies.of('chat:1')
  assert.equal(asked, 3)
  assert.throws(() => policies.of('bad'), { message: 'history rule for "bad" must return a size >= 0 and a ttlMs >= 1 (integers), got {"size":-1}' })
})

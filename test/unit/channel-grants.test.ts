import assert from 'node:assert/strict'
import { test } from 'node:test'
import { ChannelGrants, ChannelPatterns } from '../../src/auth/channel-grants.js'

test('a prefix:* pattern matches its prefix with the colon; a name matches itself alone', () => {
  const patterns = ChannelPatterns.parse(['room:*', 'lobby', 'a:b:*'], 'channels') as ChannelPatterns
  const matched = ['room:1', 'room:', 'room:a:b', 'lobby', 'a:b:c', 'roomy:1', 'room', 'lobby2', 'xroom:1', 'a:bc'].filter((name) => patterns.matches(name))
  assert.deepEqual(matched, ['room:1', 'room:', 'room:a:b', 'lobby', 'a:b:c'])
})

test('a lone * matches every channel, and an empty list none', () => {
  assert.equal((ChannelPatterns.parse(['*'], 'channels') as ChannelPatterns).matches('anything'), true)
  assert.equal((ChannelPatterns.parse([], 'channels') as ChannelPatterns).matches('anything'), false)
})

test('a claim that is not a list of names or prefix:* patterns is refused with a reason', () => {
  const cases: unknown[] = ['room:*', { room: true }, [1], ['room*'], ['*:room'], ['ro om'], ['x'.repeat(129)], [':*x']]
  for (const claim of cases) {
    assert.equal(typeof ChannelPatterns.parse(claim, 'channels'), 'string', JSON.stringify(claim))
  }
  assert.equal(ChannelPatterns.parse(undefined, 'channels'), undefined)
})

test('publish follows channels unless the token has its own publish claim; no claims, no grants', () => {
  const readOnly = ChannelGrants.fromClaims({ channels: ['room:*'] }) as ChannelGrants
  assert.deepEqual(['subscribe', 'presence', 'history', 'publish'].map((action) => readOnly.refusal(action as 'publish', 'room:1')), [undefined, undefined, undefined, undefined])
  assert.equal(readOnly.refusal('publish', 'other'), 'not in the token\'s channels claim')
  const split = ChannelGrants.fromClaims({ channels: ['room:*'], publish: [] }) as ChannelGrants
  assert.equal(split.refusal('publish', 'room:1'), 'not in the token\'s publish claim')
  assert.equal(split.refusal('subscribe', 'room:1'), undefined)
  const publishOnly = ChannelGrants.fromClaims({ publish: ['news'] }) as ChannelGrants
  assert.equal(publishOnly.refusal('subscribe', 'anything'), undefined)
  assert.equal(publishOnly.refusal('publish', 'other'), 'not in the token\'s publish claim')
  assert.equal(ChannelGrants.fromClaims({ sub: 'x' }), undefined)
  assert.equal(ChannelGrants.fromClaims({ publish: 'news' }), 'the publish claim is not an array')
})

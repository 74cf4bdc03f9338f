import assert from 'node:assert/strict'
import { test } from 'node:test'
import { MessageRate, type RateState } from '../../src/rate/message-rate.js'

function fresh (): RateState {
  return { rateTokens: 0, rateRefilledAt: 0 }
}

test('a fresh client may send a whole burst at once, then waits one interval per message', () => {
  const rate = new MessageRate({ perSecond: 10, burst: 3, floodLimit: 100 })
  const state = fresh()
  const at = 1_000
  assert.deepEqual([1, 2, 3].map(() => rate.take(state, at)), [
    { waitMs: 0, isFlooding: false }, { waitMs: 0, isFlooding: false }, { waitMs: 0, isFlooding: false }
  ])
  // tokens 0 -> -1: one more would need 2 tokens of refill, 200 ms at 10/s
  assert.deepEqual(rate.take(state, at), { waitMs: 200, isFlooding: false })
})

test('waiting the given delay is enough to be served again', () => {
  const rate = new MessageRate({ perSecond: 10, burst: 1, floodLimit: 100 })
  const state = fresh()
  assert.equal(rate.take(state, 5_000).waitMs, 0)
  const { waitMs } = rate.take(state, 5_000)
  assert.equal(waitMs, 200)
  assert.deepEqual(rate.take(state, 5_000 + waitMs), { waitMs: 0, isFlooding: false })
})

test('refill never goes past the burst, however long the client was quiet', () => {
  const rate = new MessageRate({ perSecond: 100, burst: 2, floodLimit: 100 })
  const state = fresh()
  rate.take(state, 1)
  rate.take(state, 3_600_000)
  assert.equal(state.rateTokens, 1)
})

test('a client that ignores the delay is flagged as flooding after floodLimit refused messages', () => {
  const rate = new MessageRate({ perSecond: 1, burst: 1, floodLimit: 3 })
  const state = fresh()
  const decisions = [1, 2, 3, 4].map(() => rate.take(state, 10))
  assert.deepEqual(decisions.map((d) => d.isFlooding), [false, false, false, true])
  assert.deepEqual(decisions.map((d) => d.waitMs), [0, 2000, 3000, 4000])
})

test('the state is two numbers and the limiter shares nothing between clients', () => {
  const rate = new MessageRate({ perSecond: 1, burst: 1, floodLimit: 3 })
  const a = fresh()
  const b = fresh()
  rate.take(a, 10)
  assert.equal(rate.take(a, 10).waitMs, 2000)
  assert.equal(rate.take(b, 10).waitMs, 0)
  assert.deepEqual(Object.keys(a).sort(), ['rateRefilledAt', 'rateTokens'])
})

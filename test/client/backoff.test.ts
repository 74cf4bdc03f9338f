import assert from 'node:assert/strict'
import { test } from 'node:test'
import { backoffDelay } from '../../client/backoff.js'

test('the backoff is random between minDelayMs and a ceiling that doubles per attempt up to maxDelayMs', () => {
  const ceilings = [0, 1, 2, 3, 4, 5, 6, 10, 100, 10_000].map((attempt) => backoffDelay(attempt, 500, 10_000, () => 1))
  assert.deepEqual(ceilings, [1000, 2000, 4000, 8000, 10_000, 10_000, 10_000, 10_000, 10_000, 10_000])
  for (const attempt of [0, 3, 50]) assert.equal(backoffDelay(attempt, 500, 10_000, () => 0), 500)
  assert.equal(backoffDelay(1, 500, 10_000, () => 0.5), 1250)
  // equal bounds: no randomness left
  assert.equal(backoffDelay(7, 300, 300, () => 0.9), 300)
  // the default random spreads the delays
  const delays = new Set(Array.from({ length: 20 }, () => backoffDelay(3, 500, 10_000)))
  assert.ok(delays.size > 10)
  for (const delay of delays) assert.ok(delay >= 500 && delay <= 8000, String(delay))
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { chooseLargest } from '../../src/hub/buffer-budget.js'

const entry = (name: string, bufferedBytes: number) => ({ name, bufferedBytes, isOpen: true })

test('over the budget, the largest are chosen first and no more than needed', () => {
  const entries = [entry('a', 100), entry('b', 900), entry('c', 300), entry('d', 600)]
  // 1900 in all against 800: b (900) leaves 1000, d (600) leaves 400
  assert.deepEqual(chooseLargest(entries, 1900, 800).map((chosen) => chosen.name), ['b', 'd'])
  assert.deepEqual(chooseLargest(entries, 1900, 1000).map((chosen) => chosen.name), ['b'])
})

test('at or under the budget, no one is chosen', () => {
  assert.deepEqual(chooseLargest([entry('a', 500), entry('b', 500)], 1000, 1000), [])
})

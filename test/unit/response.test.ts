import assert from 'node:assert/strict'
import { test } from 'node:test'
import { resultResponse } from '../../src/rpc/response.js'

test('resultResponse writes every kind of id exactly as JSON.stringify would', () => {
  const ids = [0, -0, 7, -12, 0.1, 1e21, 1.5e-7, Number.MAX_SAFE_INTEGER, Number.MAX_VALUE, '', 'x', 'quote " and \\ and \u2028', null]
  for (const id of ids) {
    const reply = resultResponse(id, { text: 'ping' })
    assert.equal(reply, JSON.stringify({ jsonrpc: '2.0', id, result: { text: 'ping' } }), String(id))
  }
})

test('resultResponse carries a result that serializes to nothing as null', () => {
  assert.deepEqual(JSON.parse(resultResponse(1, undefined)), { jsonrpc: '2.0', id: 1, result: null })
  assert.deepEqual(JSON.parse(resultResponse(2, () => 1)), { jsonrpc: '2.0', id: 2, result: null })
})

test('resultResponse writes the result with the serializer it is given', () => {
  const upper = (result: unknown) => JSON.stringify(result).toUpperCase()
  assert.equal(resultResponse(3, { text: 'ping' }, upper), '{"jsonrpc":"2.0","id":3,"result":{"TEXT":"PING"}}')
})

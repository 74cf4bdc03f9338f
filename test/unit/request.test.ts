import assert from 'node:assert/strict'
import { test } from 'node:test'
import { readRequest } from '../../src/rpc/request.js'

test('readRequest accepts requests and notifications and tells them apart', () => {
  assert.deepEqual(readRequest({ jsonrpc: '2.0', method: 'm', params: { a: 1 }, id: 7 }), { method: 'm', params: { a: 1 }, id: 7, isNotification: false })
  assert.deepEqual(readRequest({ jsonrpc: '2.0', method: 'm', id: null }), { method: 'm', params: undefined, id: null, isNotification: false })
  assert.deepEqual(readRequest({ jsonrpc: '2.0', method: 'm', params: [1] }), { method: 'm', params: [1], id: null, isNotification: true })
})

test('readRequest rejects what §4 forbids, keeping a readable id', () => {
  const cases: Array<[unknown, unknown]> = [
    [1, null],
    ['text', null],
    [null, null],
    [[], null],
    [{ jsonrpc: '2.0', method: 'm', id: {} }, null],
    [{ jsonrpc: '2.0', method: 'm', id: [1] }, null],
    [{ jsonrpc: '2.0', method: 'm', id: true }, null],
    [{ jsonrpc: '2.0', method: 1, id: 3 }, 3],
    [{ jsonrpc: 2, method: 'm', id: 'x' }, 'x'],
    [{ jsonrpc: '2.0', method: 'm', params: 5, id: 4 }, 4],
    [{ jsonrpc: '2.0', method: 'm', params: 'a' }, null]
  ]
  for (const [value, id] of cases) assert.deepEqual(readRequest(value), { invalid: true, id }, JSON.stringify(value))
})

test('readRequest ignores keys inherited through __proto__', () => {
  const value = JSON.parse('{"__proto__": {"id": 5, "jsonrpc": "2.0"}, "method": "m"}')
  assert.deepEqual(readRequest(value), { invalid: true, id: null })
})

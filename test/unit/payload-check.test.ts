import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { Target } from '../../src/pubsub/envelope.js'
import { checkPayload } from '../../src/pubsub/payload-check.js'

const all: Target = { kind: 'all' }
const verdict = (payload: string | Buffer, target: Target = all, max = 100) => {
  const problem = checkPayload({ origin: 'x', target, payload: Buffer.from(payload) }, max)
  return problem === undefined ? 'ok' : [problem.reason, problem.message]
}

test('notifications pass to clients; everything else is named by reason', () => {
  assert.equal(verdict('{"jsonrpc":"2.0","method":"broadcast","params":{"text":"é"}}'), 'ok')
  assert.equal(verdict('{"jsonrpc":"2.0","method":"tick"}'), 'ok')
  assert.equal(verdict('{"jsonrpc":"2.0","method":"tick","params":[1]}', { kind: 'channel', channel: 'c' }), 'ok')
  assert.equal(verdict('{"op":"disconnect","client":"a.1"}', { kind: 'command', instance: 'a' }), 'ok')
  const cases: Array<[string | Buffer, string, string, Target?]> = [
    [Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 'invalid_utf8', 'payload is not valid UTF-8'],
    ['x'.repeat(101), 'too_large', 'payload of 101 bytes is over 100'],
    ['hello', 'malformed', 'payload is not JSON'],
    ['[{"jsonrpc":"2.0","method":"m"}]', 'not_notification', 'payload is not a JSON object'],
    ['null', 'not_notification', 'payload is not a JSON object'],
    ['{"jsonrpc":"2.0","method":"m","id":1}', 'not_notification', 'payload is not a JSON-RPC notification'],
    ['{"jsonrpc":"2.0","method":"m","id":null}', 'not_notification', 'payload is not a JSON-RPC notification'],
    ['{"jsonrpc":"2.0","method":1}', 'not_notification', 'payload is not a JSON-RPC notification'],
    ['{"method":"m"}', 'not_notification', 'payload is not a JSON-RPC notification'],
    ['{"jsonrpc":"2.0","method":"m","params":"s"}', 'not_notification', 'payload is not a JSON-RPC notification'],
    ['{"jsonrpc":"2.0","method":"m","params":null}', 'not_notification', 'payload is not a JSON-RPC notification'],
    ['{"jsonrpc":"2.0","result":1,"id":1}', 'not_notification', 'payload is not a JSON-RPC notification'],
    ['{"jsonrpc":"2.0","method":"m"}', 'not_notification', 'command has no string op', { kind: 'command', instance: 'a' }],
    ['["op"]', 'not_notification', 'payload is not a JSON object', { kind: 'command', instance: 'a' }]
  ]
  for (const [payload, reason, message, target] of cases) assert.deepEqual(verdict(payload, target), [reason, `malformed envelope: ${message}`], String(payload))
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { decodeEnvelope, encodeEnvelope, ENVELOPE_VERSION, MalformedEnvelopeError } from '../../src/pubsub/envelope.js'

test('an envelope is a one-line JSON header, a newline, then the payload bytes untouched', () => {
  const payload = Buffer.from('{"jsonrpc":"2.0","method":"broadcast","params":{"text":"hi\\nthere"}}')
  const wire = encodeEnvelope({ origin: 'node0', target: { kind: 'all' }, payload })
  assert.equal(wire.toString(), `{"v":${ENVELOPE_VERSION},"o":"node0","t":{"kind":"all"}}\n` + payload.toString())
  assert.deepEqual(decodeEnvelope(wire), { origin: 'node0', target: { kind: 'all' }, payload })
})

test('decoding hands back a view on the received bytes, not a copy', () => {
  const wire = encodeEnvelope({ origin: 'a', target: { kind: 'all' }, payload: Buffer.from('xyz') })
  const decoded = decodeEnvelope(wire)
  assert.equal(decoded.payload.buffer, wire.buffer)
})

test('any origin and any payload bytes survive the round trip', () => {
  fc.assert(fc.property(fc.string(), fc.uint8Array({ minLength: 1 }), (origin, bytes) => {
    const payload = Buffer.from(bytes)
    const decoded = decodeEnvelope(encodeEnvelope({ origin, target: { kind: 'all' }, payload }))
    assert.deepEqual(decoded, { origin, target: { kind: 'all' }, payload })
  }))
})

test('malformed and foreign messages are refused with the reason', () => {
  const cases: Array<[string | Buffer, string]> = [
    ['no newline at all', 'no header'],
    ['\n{"jsonrpc":"2.0"}', 'no header'],
    ['{not json\n{}', 'header is not JSON'],
    ['null\n{}', 'header is not an object'],
    ['42\n{}', 'header is not an object'],
    ['{"v":2,"o":"a","t":{"kind":"all"}}\n{}', 'unsupported version 2'],
    ['{"o":"a","t":{"kind":"all"}}\n{}', 'unsupported version undefined'],
    ['{"v":1,"o":7,"t":{"kind":"all"}}\n{}', 'no origin'],
    ['{"v":1,"o":"a","t":{"kind":"room"}}\n{}', 'unknown target'],
    ['{"v":1,"o":"a","t":{"kind":"channel","channel":"a b"}}\n{}', 'unknown target'],
    ['{"v":1,"o":"a","t":{"kind":"command"}}\n{}', 'unknown target'],
    ['{"v":1,"o":"a"}\n{}', 'unknown target'],
    ['{"v":1,"o":"a","t":{"kind":"all"}}\n', 'empty payload'],
    [Buffer.from([0xff, 0xfe, 0x0a, 0x01]), 'header is not JSON']
  ]
  for (const [input, reason] of cases) {
    assert.throws(() => decodeEnvelope(Buffer.from(input)), (err: Error) => {
      assert.ok(err instanceof MalformedEnvelopeError)
      assert.equal(err.message, `malformed envelope: ${reason}`)
      return true
    }, JSON.stringify(input.toString()))
  }
})

test('no byte string makes decoding throw anything but MalformedEnvelopeError', () => {
  fc.assert(fc.property(fc.uint8Array(), (bytes) => {
    try {
      decodeEnvelope(Buffer.from(bytes))
    } catch (err) {
      assert.ok(err instanceof MalformedEnvelopeError)
    }
  }))
})

test('channel and command targets survive the round trip with only their own members', () => {
  const payload = Buffer.from('{}')
  for (const target of [{ kind: 'channel', channel: 'room:1' }, { kind: 'channel', channel: 'a', presence: true }, { kind: 'command', instance: 'node0' }] as const) {
    assert.deepEqual(decodeEnvelope(encodeEnvelope({ origin: 'o', target, payload })).target, target)
  }
  const extra = Buffer.from('{"v":1,"o":"a","t":{"kind":"channel","channel":"x","presence":false,"evil":1}}\n{}')
  assert.deepEqual(decodeEnvelope(extra).target, { kind: 'channel', channel: 'x' })
})

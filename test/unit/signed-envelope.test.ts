import assert from 'node:assert/strict'
import { test } from 'node:test'
import { OptionError, resolveOptions } from '../../src/config/resolve-options.js'
import { decodeEnvelope, encodeEnvelope, MalformedEnvelopeError } from '../../src/pubsub/envelope.js'
import { SigningKeys } from '../../src/pubsub/signing-keys.js'

const OLD = 'old-key-0123456789abcdef'
const NEW = 'new-key-0123456789abcdef'
const envelope = { origin: 'a', target: { kind: 'channel' as const, channel: 'room.1', presence: true as const }, payload: Buffer.from('{"jsonrpc":"2.0","method":"m"}') }

function refusal (data: Buffer, keys: SigningKeys): [string, string] | undefined {
  try {
    decodeEnvelope(data, keys)
    return undefined
  } catch (err) {
    assert.ok(err instanceof MalformedEnvelopeError)
    return [err.reason, err.message]
  }
}

test('a signed envelope ends its header with the signature and decodes under any listed key', () => {
  const wire = encodeEnvelope(envelope, SigningKeys.parse(`${NEW},${OLD}`))
  assert.match(wire.toString(), /^\{"v":1,"o":"a","t":\{"kind":"channel","channel":"room.1","presence":true\},"s":"[A-Za-z0-9_-]{43}"\}\n\{"jsonrpc":"2.0","method":"m"\}$/)
  assert.deepEqual(decodeEnvelope(wire, SigningKeys.parse(NEW)), envelope)
  assert.deepEqual(decodeEnvelope(wire, SigningKeys.parse(`${OLD}, ${NEW}`)), envelope)
  // an instance without a secret ignores the signature
  assert.deepEqual(decodeEnvelope(wire), envelope)
})

test('unsigned, wrongly signed and altered envelopes are refused as bad_signature', () => {
  const keys = SigningKeys.parse(OLD)!
  const signed = encodeEnvelope(envelope, keys).toString()
  const cases: Array<[string, Buffer]> = [
    ['not signed', encodeEnvelope(envelope)],
    ['signature does not verify', encodeEnvelope(envelope, SigningKeys.parse(NEW))],
    ['signature does not verify', Buffer.from(signed.replace('"o":"a"', '"o":"b"'))],
    ['signature does not verify', Buffer.from(signed.replace('"method":"m"', '"method":"n"'))],
    ['signature does not verify', Buffer.from(signed.replace('{"v":1,', '{"v":1,"x":1,'))],
    ['not signed', Buffer.from(signed.replace(/"s":"[^"]+"/, '"s":"short"'))]
  ]
  for (const [message, wire] of cases) assert.deepEqual(refusal(wire, keys), ['bad_signature', `malformed envelope: ${message}`], wire.toString())
  // the signature must be the header's last member
  const moved = signed.replace(/^\{"v":1,(.*),("s":"[^"]+")\}/, '{$2,"v":1,$1}')
  assert.deepEqual(refusal(Buffer.from(moved), keys), ['bad_signature', 'malformed envelope: signature does not verify'])
})

test('pubsubSecret: empty means unsigned; keys shorter than 16 characters are refused at register', () => {
  assert.equal(SigningKeys.parse(''), undefined)
  assert.equal(resolveOptions({ pubsubSecret: `${NEW},${OLD}` }).pubsubSecret, `${NEW},${OLD}`)
  assert.throws(() => resolveOptions({ pubsubSecret: `${NEW},short` }), new OptionError('ws-server option pubsubSecret must be comma-separated keys of at least 16 characters each'))
  assert.throws(() => resolveOptions({ pubsubSecret: `${NEW},` }), OptionError)
})

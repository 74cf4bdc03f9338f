import assert from 'node:assert/strict'
import { test } from 'node:test'
import Type from 'typebox'
import { readCanonicalEnvelope } from '../../src/rpc/canonical-request.js'
import { compileParamsReader, type ParamsReader } from '../../src/rpc/params-reader.js'

const schema = Type.Object({ text: Type.String(), n: Type.Number(), ok: Type.Boolean() })
const reader = compileParamsReader(schema) as ParamsReader

/** The request the fast path reads from `text`, or undefined where it leaves the text to JSON.parse. */
function fastRead (text: string) {
  const envelope = readCanonicalEnvelope(text)
  if (envelope === undefined) return undefined
  const params = envelope.paramsStart === -1 ? undefined : reader(text, envelope.paramsStart, text.length - 1)
  if (envelope.paramsStart !== -1 && params === undefined) return undefined
  return { method: envelope.method, id: envelope.id, isNotification: envelope.isNotification, params }
}

/** The same request read by JSON.parse. */
function slowRead (text: string) {
  const value = JSON.parse(text)
  return { method: value.method, id: Object.hasOwn(value, 'id') ? value.id : null, isNotification: !Object.hasOwn(value, 'id'), params: value.params }
}

test('the envelope of the usual request shape is read without JSON.parse', () => {
  const text = '{"jsonrpc":"2.0","id":42,"method":"self.reply","params":{"text":"hi"}}'
  const envelope = readCanonicalEnvelope(text)
  assert.deepEqual(envelope, { method: 'self.reply', id: 42, isNotification: false, paramsStart: text.indexOf('{"text"') })
  assert.deepEqual(readCanonicalEnvelope('{"jsonrpc":"2.0","method":"m","params":[1]}'), { method: 'm', id: null, isNotification: true, paramsStart: 39 })
  assert.deepEqual(readCanonicalEnvelope('{"jsonrpc":"2.0","id":0,"method":"m"}'), { method: 'm', id: 0, isNotification: false, paramsStart: -1 })
  assert.deepEqual(readCanonicalEnvelope('{"jsonrpc":"2.0","id":999999999999999,"method":"m"}')?.id, 999_999_999_999_999)
})

test('any other envelope is left to JSON.parse', () => {
  const others = [
    '{ "jsonrpc":"2.0","id":1,"method":"m"}',
    '{"jsonrpc":"2.0", "id":1,"method":"m"}',
    '{"jsonrpc":"2.0","id":1,"method":"m"} ',
    '{"id":1,"jsonrpc":"2.0","method":"m"}',
    '{"jsonrpc":"2.0","method":"m","id":1}',
    '{"jsonrpc":"2.0","id":"1","method":"m"}',
    '{"jsonrpc":"2.0","id":-1,"method":"m"}',
    '{"jsonrpc":"2.0","id":01,"method":"m"}',
    '{"jsonrpc":"2.0","id":1.5,"method":"m"}',
    '{"jsonrpc":"2.0","id":1e3,"method":"m"}',
    '{"jsonrpc":"2.0","id":null,"method":"m"}',
    '{"jsonrpc":"2.0","id":1234567890123456,"method":"m"}',
    '{"jsonrpc":"2.0","id":1,"method":"a\\u0062"}',
    '{"jsonrpc":"2.0","id":1,"method":"a\tb"}',
    '{"jsonrpc":"2.0","id":1,"method":"m}',
    '{"jsonrpc":"2.0","id":1,"method":"m","extra":1}',
    '{"jsonrpc":"1.0","id":1,"method":"m"}',
    '[{"jsonrpc":"2.0","id":1,"method":"m"}]'
  ]
  for (const text of others) assert.equal(readCanonicalEnvelope(text), undefined, text)
})

test('params in the schema layout are read to what JSON.parse gives, as plain objects in schema order', () => {
  for (const params of ['{"text":"hé ✓ 😀","n":-12.5e-3,"ok":true}', '{"text":"","n":0,"ok":false}', '{"text":"a\'b/c","n":1E+2,"ok":true}']) {
    const text = `[${params}]`
    const read = reader(text, 1, text.length - 1)
    const parsed = JSON.parse(params)
    assert.deepEqual(read, parsed, params)
    assert.deepEqual(Object.keys(read!), Object.keys(parsed))
    assert.equal(Object.getPrototypeOf(read), Object.prototype)
  }
  const integer = compileParamsReader(Type.Object({ count: Type.Integer() }))!
  assert.deepEqual(integer('{"count":7}}', 0, 11), { count: 7 })
})

test('params in any other layout are left to JSON.parse', () => {
  const others = [
    '{"n":1,"text":"a","ok":true}',
    '{"text":"a","n":1}',
    '{"text":"a","n":1,"ok":true,"more":1}',
    '{"text":"a\\n","n":1,"ok":true}',
    '{"text":"a\u0001","n":1,"ok":true}',
    '{"text": "a","n":1,"ok":true}',
    '{"text":"a","n":1,"ok":true }',
    '{"text":null,"n":1,"ok":true}',
    '{"text":"a","n":"1","ok":true}',
    '{"text":"a","n":01,"ok":true}',
    '{"text":"a","n":1.,"ok":true}',
    '{"text":"a","n":.5,"ok":true}',
    '{"text":"a","n":+1,"ok":true}',
    '{"text":"a","n":1e,"ok":true}',
    '{"text":"a","n":-,"ok":true}',
    '{"text":"a","n":1,"ok":tru}',
    '{"text":"a","n":1,"ok":1}',
    '{"te\\u0078t":"a","n":1,"ok":true}',
    '[1]'
  ]
  const read = (params: string) => reader(`${params}}`, 0, params.length)
  assert.deepEqual(read('{"text":"a","n":1,"ok":true}'), { text: 'a', n: 1, ok: true })
  for (const params of others) assert.equal(read(params), undefined, params)
})

test('no params reader for schemas it cannot mirror', () => {
  assert.equal(compileParamsReader(Type.Array(Type.String())), undefined)
  assert.equal(compileParamsReader(Type.Object({})), undefined)
  assert.equal(compileParamsReader(Type.Object({ nested: Type.Object({ a: Type.String() }) })), undefined)
  assert.equal(compileParamsReader(Type.Object({ maybe: Type.Union([Type.String(), Type.Null()]) })), undefined)
  // an object literal would set the prototype where JSON.parse makes an own property
  assert.equal(compileParamsReader(Type.Object({ ['__proto__']: Type.String() })), undefined)
})

test('whatever the fast path accepts, JSON.parse reads the same way (20,000 mutated requests)', () => {
  const seeds = [
    '{"jsonrpc":"2.0","id":17,"method":"self.reply","params":{"text":"ping","n":3.25,"ok":false}}',
    '{"jsonrpc":"2.0","method":"broadcast","params":{"text":"x","n":-0,"ok":true}}',
    '{"jsonrpc":"2.0","id":0,"method":"m"}'
  ]
  const alphabet = ['"', '\\', '{', '}', ',', ':', '[', ']', ' ', '0', '1', '9', '-', '+', '.', 'e', 'E', 'a', 't', 'true', 'null', '\u0000', '\u001f', 'é', '\ud83d', 'u', '"id":', '"params":']
  let state = 0x2545f491
  const random = (below: number) => {
    state ^= state << 13; state ^= state >>> 17; state ^= state << 5
    return (state >>> 0) % below
  }
  let accepted = 0
  for (let i = 0; i < 20_000; i++) {
    let text = seeds[random(seeds.length)]
    for (let edits = 1 + random(3); edits > 0; edits--) {
      const at = random(text.length + 1)
      const cut = random(3)
      text = text.slice(0, at) + (random(4) === 0 ? '' : alphabet[random(alphabet.length)]) + text.slice(at + cut)
    }
    const fast = fastRead(text)
    if (fast === undefined) continue
    accepted++
    assert.deepEqual(fast, slowRead(text), text)
  }
  // the mutations must leave enough requests in the accepted layout for the comparison to mean something
  assert.ok(accepted > 1_000, `only ${accepted} mutated requests were read by the fast path`)
})

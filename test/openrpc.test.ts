import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import Type from 'typebox'
import { defineMethod, type OpenRpcDocument } from '../src/index.js'
import { builtinMethods } from '../src/methods/index.js'
import { connect } from './helpers/client.js'
import { startServer } from './helpers/server.js'

const TIMEOUT_MS = 30_000

const sum = defineMethod({
  name: 'sum',
  summary: 'Adds two numbers',
  params: Type.Object({ a: Type.Number(), b: Type.Number(), note: Type.Optional(Type.String()) }),
  result: Type.Number(),
  errors: [{ code: -32050, message: 'Too big' }],
  handle: ({ a, b }) => a + b
})
const anything = defineMethod({ name: 'host.anything', params: Type.Object({}), handle: () => null })

// loaded untyped: its types pull in @open-rpc/spec-types' .ts sources, which this repo's strict compile rejects
const { validateOpenRPCDocument, OpenRPCDocumentValidationError } = createRequire(import.meta.url)('@open-rpc/schema-utils-js') as {
  validateOpenRPCDocument: (document: unknown) => true | Error
  OpenRPCDocumentValidationError: new (...args: never[]) => Error
}

/** The OpenRPC meta-schema's verdict: true, or the validation error with ajv's findings in its message. */
function validate (document: unknown): true | Error {
  return validateOpenRPCDocument(document)
}

test('rpc.discover answers an OpenRPC document that the OpenRPC meta-schema accepts, with every method', { timeout: TIMEOUT_MS }, async (t) => {
  const { url } = await startServer(t, { WS_MAX_TEXT_LENGTH: 100 }, { methods: [sum, anything] })
  const client = await connect(t, url)

  const answer = await client.call('rpc.discover', undefined, 'd1')
  assert.deepEqual(Object.keys(answer), ['jsonrpc', 'id', 'result'])
  const document = answer.result as OpenRpcDocument
  assert.equal(validate(document), true)

  assert.equal(document.openrpc, '1.3.2')
  assert.equal(document.info.title, 'fastify-ws-hub')
  assert.match(document.info.version, /^\d+\.\d+\.\d+/)
  assert.deepEqual(document.methods.map((method) => method.name), [...builtinMethods.map((method) => method.name), 'sum', 'host.anything'])
  for (const method of document.methods) {
    assert.equal(method.paramStructure, method.name.startsWith('rpc.') ? 'either' : 'by-name', method.name)
    assert.deepEqual(method.errors[0], { code: -32602, message: 'Invalid params' }, method.name)
  }

  const byName = new Map(document.methods.map((method) => [method.name, method]))
  assert.deepEqual(byName.get('sum'), {
    name: 'sum',
    summary: 'Adds two numbers',
    paramStructure: 'by-name',
    params: [
      { name: 'a', schema: { type: 'number' }, required: true },
      { name: 'b', schema: { type: 'number' }, required: true },
      // the dispatcher's WS_MAX_TEXT_LENGTH cap on strings, as it checks them
      { name: 'note', schema: { type: 'string', maxLength: 100 }, required: false }
    ],
    result: { name: 'result', schema: { type: 'number' } },
    errors: [{ code: -32602, message: 'Invalid params' }, { code: -32050, message: 'Too big' }]
  })
  // no result schema: any value
  assert.deepEqual(byName.get('host.anything')!.params, [])
  assert.deepEqual(byName.get('host.anything')!.result, { name: 'result', schema: {} })
  assert.deepEqual(byName.get('self.reply')!.params, [{ name: 'text', schema: { type: 'string', maxLength: 100 }, required: true }])
  assert.deepEqual(byName.get('self.reply')!.result, { name: 'result', schema: { type: 'object', required: ['text'], properties: { text: { type: 'string' } } } })
  const subscribe = byName.get('subscribe')!
  assert.deepEqual(subscribe.params.map(({ name, required }) => ({ name, required })), [
    { name: 'channel', required: true }, { name: 'presence', required: false }, { name: 'recover', required: false }
  ])
  // a channel name keeps its own tighter bound
  assert.deepEqual(subscribe.params[0]!.schema, { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:@-]*$', description: '1-128 of [A-Za-z0-9_.:@-]' })
  assert.deepEqual(subscribe.errors.map(({ code }) => code), [-32602, -32001, -32001, -32010, -32011])
  assert.deepEqual(byName.get('history')!.errors.map(({ code }) => code), [-32602, -32001, -32010, -32012])
  assert.deepEqual(byName.get('auth.refresh')!.errors, [{ code: -32602, message: 'Invalid params' }, { code: -32013, message: 'Token refused' }])
  assert.deepEqual(byName.get('rpc.discover')!.params, [])
  assert.deepEqual(byName.get('rpc.ping')!.params, [])
  assert.deepEqual(byName.get('rpc.ping')!.result, { name: 'result', schema: { type: 'object', properties: {} } })

  // what the dispatcher answers is what the document lists
  const invalid = await client.call('sum', { a: 'one', b: 2 }, 'd2')
  assert.deepEqual({ code: invalid.error.code, message: invalid.error.message }, byName.get('sum')!.errors[0])
})

test('GET /openrpc.json serves the same document, without a token, to any origin', { timeout: TIMEOUT_MS }, async (t) => {
  const { app, url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alice:tok1' }, { methods: [sum] })
  const response = await app.inject({ method: 'GET', url: '/openrpc.json', headers: { origin: 'https://playground.open-rpc.org' } })
  assert.equal(response.statusCode, 200)
  assert.match(response.headers['content-type'] as string, /^application\/json/)
  assert.equal(response.headers['access-control-allow-origin'], '*')
  const served = response.json()
  assert.equal(validate(served), true)

  const client = await connect(t, url, { headers: { authorization: 'Bearer tok1' } })
  // OpenRPC clients send `params: []` for a method without params
  const answer = await client.call('rpc.discover', [], 7)
  assert.deepEqual(served, answer.result)
  assert.ok(served.methods.some((method: { name: string }) => method.name === 'sum'))
})

test('the validator rejects a broken document, so the checks above are real', { timeout: TIMEOUT_MS }, async (t) => {
  const { app } = await startServer(t)
  const document = (await app.inject({ method: 'GET', url: '/openrpc.json' })).json()
  assert.equal(validate(document), true)

  const broken: Array<[string, (copy: any) => void]> = [
    ['no info', (copy) => { delete copy.info }],
    ['a param without a schema', (copy) => { delete copy.methods[0].params[0].schema }],
    ['an unknown key in a content descriptor', (copy) => { copy.methods[1].result.kind = 'Object' }],
    ['a paramStructure OpenRPC does not know', (copy) => { copy.methods[0].paramStructure = 'by-name-or-so' }],
    ['an error without a code', (copy) => { delete copy.methods[0].errors[0].code }],
    ['a schema type JSON Schema does not know', (copy) => { copy.methods[0].params[0].schema.type = 'text' }]
  ]
  for (const [what, breakIt] of broken) {
    const copy = structuredClone(document)
    breakIt(copy)
    const verdict = validate(copy)
    assert.ok(verdict instanceof OpenRPCDocumentValidationError, `${what} passed the meta-schema`)
  }
})

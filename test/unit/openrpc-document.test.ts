import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { test } from 'node:test'
import Type from 'typebox'
import { openRpcDocument } from '../../src/rpc/openrpc.js'

// loaded untyped: its types pull in @open-rpc/spec-types' .ts sources, which this repo's strict compile rejects
const { validateOpenRPCDocument } = createRequire(import.meta.url)('@open-rpc/schema-utils-js') as {
  validateOpenRPCDocument: (document: unknown) => true | Error
}
const info = { title: 't', version: '1.0.0' }

test('a tuple params schema is described by position, its leading items required', () => {
  const document = openRpcDocument([{
    name: 'move',
    params: Type.Tuple([Type.Integer(), Type.Integer()]),
    result: Type.Boolean()
  }], { info })
  assert.deepEqual(document.methods[0], {
    name: 'move',
    paramStructure: 'by-position',
    params: [
      { name: 'param0', schema: { type: 'integer' }, required: true },
      { name: 'param1', schema: { type: 'integer' }, required: true }
    ],
    result: { name: 'result', schema: { type: 'boolean' } },
    errors: [{ code: -32602, message: 'Invalid params' }]
  })
  assert.equal(validateOpenRPCDocument(document), true)
})

test('params that are neither an object nor a tuple keep their whole schema in an x- extension', () => {
  const params = Type.Union([Type.Object({ id: Type.String() }), Type.Object({ name: Type.String() })])
  const document = openRpcDocument([{ name: 'find', params }], { info, maxStringLength: 10 })
  const [method] = document.methods
  assert.equal(method!.paramStructure, 'either')
  assert.deepEqual(method!.params, [])
  // capped as the dispatcher checks it, and free of TypeBox's own markers
  assert.deepEqual(method!['x-params-schema'], {
    anyOf: [
      { type: 'object', required: ['id'], properties: { id: { type: 'string', maxLength: 10 } } },
      { type: 'object', required: ['name'], properties: { name: { type: 'string', maxLength: 10 } } }
    ]
  })
  assert.equal(validateOpenRPCDocument(document), true)
})

test('a method that takes nothing, as {} or [], lists no params and no extension', () => {
  const document = openRpcDocument([{ name: 'ping', params: Type.Union([Type.Object({}), Type.Tuple([])]) }], { info })
  assert.deepEqual(document.methods[0], {
    name: 'ping',
    paramStructure: 'either',
    params: [],
    result: { name: 'result', schema: {} },
    errors: [{ code: -32602, message: 'Invalid params' }]
  })
})

test('the method\'s schemas are left as they were', () => {
  const params = Type.Object({ text: Type.String() })
  openRpcDocument([{ name: 'echo', params }], { info, maxStringLength: 5 })
  assert.deepEqual(params.properties.text, { type: 'string' })
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import Type from 'typebox'
import { capStrings } from '../../src/limits/string-cap.js'

test('every string without its own maxLength gets the cap, nested ones included', () => {
  const schema = Type.Object({
    text: Type.String(),
    short: Type.String({ maxLength: 5 }),
    tags: Type.Array(Type.String()),
    either: Type.Union([Type.String(), Type.Number()]),
    meta: Type.Object({ note: Type.Optional(Type.String()) })
  })
  const capped = capStrings(schema, 100) as any
  assert.deepEqual(
    [capped.properties.text.maxLength, capped.properties.short.maxLength, capped.properties.tags.items.maxLength,
      capped.properties.either.anyOf[0].maxLength, capped.properties.either.anyOf[1].maxLength, capped.properties.meta.properties.note.maxLength],
    [100, 5, 100, 100, undefined, 100]
  )
})

test('the method\'s own schema object is left as it was', () => {
  const schema = Type.Object({ text: Type.String() })
  capStrings(schema, 10)
  assert.deepEqual(schema.properties.text, { type: 'string' })
})

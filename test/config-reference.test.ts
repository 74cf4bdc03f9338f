import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { DOC, withTable } from '../scripts/config-reference.js'
import { EnvSchema } from '../src/config/env.js'

test('docs/configuration.md holds the table generated from the schema (run scripts/config-reference.ts after a change)', () => {
  const committed = readFileSync(DOC, 'utf8')
  assert.equal(committed, withTable(committed))
})

test('every variable has a description, so the reference never has an empty row', () => {
  const missing = Object.entries(EnvSchema.properties).filter(([, schema]) => typeof (schema as { description?: unknown }).description !== 'string')
  assert.deepEqual(missing.map(([name]) => name), [])
})

import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import type { TSchema } from 'typebox'
import { ProcessEnvSchema } from '../src/config/env.js'
import { envName, optionSchemas } from '../src/config/options.js'

/**
 * docs/configuration.md's reference table, made from the schemas' descriptions: `node --import tsx
 * scripts/config-reference.ts` rewrites it, `--check` exits 1 when the committed table is stale.
 */
export const DOC = fileURLToPath(new URL('../docs/configuration.md', import.meta.url))
const START = '<!-- generated:config -->'
const END = '<!-- /generated:config -->'

type Described = TSchema & { default?: unknown, description?: string, minimum?: number, maximum?: number, enum?: unknown[] }

function defaultText (schema: Described): string {
  if (schema.default === '') return '(empty)'
  return `\`${String(schema.default)}\``
}

function meaning (schema: Described): string {
  const bounds = [
    Array.isArray(schema.enum) ? `one of ${schema.enum.map((value) => `\`${String(value)}\``).join(', ')}` : '',
    schema.minimum !== undefined ? `≥ ${schema.minimum}` : '',
    schema.maximum !== undefined ? `≤ ${schema.maximum}` : ''
  ].filter(Boolean).join(', ')
  const text = (schema.description ?? '').replaceAll('|', '\\|')
  return bounds === '' ? text : `${text} (${bounds})`
}

export function renderTable (): string {
  const rows = ['| variable | plugin option | default | meaning |', '| --- | --- | --- | --- |']
  for (const [name, schema] of Object.entries(ProcessEnvSchema.properties) as Array<[string, Described]>) {
    rows.push(`| \`${name}\` | (process only) | ${defaultText(schema)} | ${meaning(schema)} |`)
  }
  for (const [option, schema] of Object.entries(optionSchemas) as Array<[string, Described]>) {
    rows.push(`| \`${envName(option)}\` | \`${option}\` | ${defaultText(schema)} | ${meaning(schema)} |`)
  }
  return rows.join('\n')
}

/** The document with its generated region replaced by the current table. */
export function withTable (doc: string): string {
  const start = doc.indexOf(START)
  const end = doc.indexOf(END)
  if (start === -1 || end < start) throw new Error(`${DOC} must contain ${START} … ${END}`)
  return `${doc.slice(0, start + START.length)}\n${renderTable()}\n${doc.slice(end)}`
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const current = readFileSync(DOC, 'utf8')
  const next = withTable(current)
  if (process.argv.includes('--check')) {
    if (next !== current) {
      console.error('docs/configuration.md is stale: run node --import tsx scripts/config-reference.ts')
      process.exit(1)
    }
  } else {
    writeFileSync(DOC, next)
  }
}

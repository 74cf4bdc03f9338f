import assert from 'node:assert/strict'
import { readdirSync, readFileSync } from 'node:fs'
import { builtinModules } from 'node:module'
import { join, relative } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import ts from 'typescript'

const root = fileURLToPath(new URL('../..', import.meta.url))
const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as Record<string, unknown>

// what the published package may import at run time; tests and scripts may also use devDependencies
const RUNTIME_DIRS = ['src', 'plugins', 'routes']
const DEV_DIRS = ['test', 'scripts']

/**
 * Every module specifier a file names: imports, re-exports and `import('x')`, type-only ones included (their types are
 * needed to build). TypeScript's own scanner, so a `from '…'` inside a string or a comment is not taken for one.
 */
function specifiers (file: string): string[] {
  return ts.preProcessFile(readFileSync(file, 'utf8'), true, true).importedFiles.map((imported) => imported.fileName)
}

function tsFiles (dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : tsFiles(path)
    return entry.name.endsWith('.ts') ? [path] : []
  })
}

/** `@scope/pkg/sub` → `@scope/pkg`, `pkg/sub` → `pkg`; undefined for relative paths and Node builtins. */
export function packageOf (specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined
  const parts = specifier.split('/')
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
  return builtinModules.includes(name) ? undefined : name
}

function declared (...fields: string[]): Set<string> {
  // the package's own name resolves through its `exports` (test/package.test.ts imports it that way)
  return new Set([manifest.name as string, ...fields.flatMap((field) => Object.keys((manifest[field] ?? {}) as object))])
}

/** `file: package` for every bare import in `dirs` that `allowed` lacks. */
function undeclared (dirs: string[], allowed: Set<string>): string[] {
  const found: string[] = []
  for (const file of dirs.flatMap((dir) => tsFiles(join(root, dir)))) {
    for (const specifier of specifiers(file)) {
      const name = packageOf(specifier)
      if (name !== undefined && !allowed.has(name)) found.push(`${relative(root, file)}: ${name}`)
    }
  }
  return found
}

const RUNTIME_FIELDS = ['dependencies', 'optionalDependencies', 'peerDependencies']

test('specifiers map to their package names, and builtins and relative paths to none', () => {
  assert.deepEqual(
    ['@fastify/websocket', '@scope/pkg/sub/path', 'typebox/value', 'ws', 'node:fs', 'fs', 'fs/promises', './x.js', '../src/app.js'].map(packageOf),
    ['@fastify/websocket', '@scope/pkg', 'typebox', 'ws', undefined, undefined, undefined, undefined, undefined]
  )
})

test('every package that src/, plugins/ and routes/ import is a runtime dependency in package.json', () => {
  assert.deepEqual(undeclared(RUNTIME_DIRS, declared(...RUNTIME_FIELDS)), [])
})

test('every package that test/ and scripts/ import is declared in package.json, devDependencies included', () => {
  assert.deepEqual(undeclared(DEV_DIRS, declared(...RUNTIME_FIELDS, 'devDependencies')), [])
})

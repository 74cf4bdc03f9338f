import assert from 'node:assert/strict'
import { fileURLToPath } from 'node:url'
import { test } from 'node:test'
import madge from 'madge'

const root = fileURLToPath(new URL('../../', import.meta.url))

test('no module in src/, plugins/ or routes/ imports itself back, type-only imports included', async () => {
  const graph = await madge(['src', 'plugins', 'routes'], {
    baseDir: root,
    fileExtensions: ['ts'],
    // resolves our NodeNext `./x.js` specifiers to the `./x.ts` files
    tsConfig: `${root}tsconfig.json`,
    // an `import type` arrow counts: a type cycle is still two layers that each need the other
    detectiveOptions: { ts: { skipTypeImports: false } }
  })
  // an import madge could not resolve would be an arrow it never saw
  assert.deepEqual(graph.warnings().skipped, [])
  assert.ok(graph.obj()['src/core.ts']?.includes('src/channels/channels.ts'), 'the graph has the core\'s imports')
  assert.deepEqual(graph.circular(), [])
})

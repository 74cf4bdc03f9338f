import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const fixture = fileURLToPath(new URL('./tick-feedback.fixture.ts', import.meta.url))

/** The IC states V8 printed for the tick object literal's computed and named members, in slot order. */
async function tickLiteralStates (hold: boolean): Promise<string[]> {
  // through a shell pipe: V8's printout reaches a socket (Node's own stdio pipes) only in part
  const { stdout } = await run('sh', ['-c', '"$0" "$@" | cat', process.execPath, '--allow-natives-syntax', '--expose-gc', '--import', 'tsx', fixture], {
    env: { ...process.env, HOLD: hold ? '1' : '0' },
    maxBuffer: 16 * 1024 * 1024
  })
  return [...stdout.matchAll(/DefineKeyedOwnPropertyInLiteral (\w+)/g)].map((match) => match[1])
}

test('a held tick object keeps process.nextTick off the runtime path after full GCs', async (t) => {
  const [held, unheld] = await Promise.all([tickLiteralStates(true), tickLiteralStates(false)])
  if (unheld.length === 0) return t.skip(`this V8 (${process.versions.v8}) prints no literal feedback for nextTick`)
  if (!unheld.includes('MEGAMORPHIC')) return t.skip(`this V8 (${process.versions.v8}) keeps the tick maps without help`)
  assert.ok(held.length > 0)
  assert.deepEqual(held.filter((state) => state !== 'MONOMORPHIC'), [], `feedback with the tick object held: ${held.join(', ')}`)
})

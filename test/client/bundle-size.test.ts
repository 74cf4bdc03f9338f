import assert from 'node:assert/strict'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { pathToFileURL } from 'node:url'
import { gzipSync } from 'node:zlib'
import { build } from 'esbuild'
import WebSocket from 'ws'
import { browserBuild } from '../../scripts/bundle-client.js'
import { startServer } from '../helpers/server.js'

const MAX_GZIPPED_BYTES = 8 * 1024

async function bundle (): Promise<string> {
  const { outputFiles } = await build({ ...browserBuild, write: false, outfile: 'hub-client.js' })
  return outputFiles!.find((file) => file.path.endsWith('hub-client.js'))!.text
}

test('the browser bundle is under 8 KB minified and gzipped, with nothing of Node in it', { timeout: 60_000 }, async () => {
  const code = await bundle()
  const gzipped = gzipSync(code, { level: 9 }).length
  console.log(`browser bundle: ${code.length} bytes minified, ${gzipped} bytes gzipped (${(gzipped / 1024).toFixed(2)} KiB)`)
  assert.ok(gzipped < MAX_GZIPPED_BYTES, `${gzipped} bytes gzipped`)
  assert.doesNotMatch(code, /\brequire\(/)
  assert.doesNotMatch(code, /["']node:/)
  assert.doesNotMatch(code, /["']ws["']/, 'the ws fallback is left out')
  assert.doesNotMatch(code, /\bBuffer\b|\bprocess\./)
})

test('the bundle runs: it exports HubClient, which calls a real server', { timeout: 60_000 }, async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hub-client-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'hub-client.js')
  await writeFile(file, await bundle())
  const { HubClient, SUBPROTOCOL } = await import(pathToFileURL(file).href)
  assert.equal(SUBPROTOCOL, 'ws-hub.v1')
  const { url } = await startServer(t)
  // as in a browser, the WebSocket is given (Node 20 has no global one)
  const client = new HubClient(url, { WebSocket })
  t.after(() => client.close())
  assert.deepEqual(await client.call('self.reply', { text: 'bundled' }), { text: 'bundled' })
})

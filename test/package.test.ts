import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))

/** What a host that installed the packed package runs: import it, register it, drive it from a route. */
const HOST = `
import Fastify from 'fastify'
import wsServer, { defineMethod } from 'fastify-ws-hub'
const app = Fastify()
await app.register(wsServer, { instanceId: 'packed' })
app.post('/notify', async () => { await app.wsHub.broadcast('hi'); return { connections: app.wsHub.connections } })
const health = await app.inject('/health')
const notify = await app.inject({ method: 'POST', url: '/notify' })
console.log(JSON.stringify({ health: health.json(), notify: notify.json(), defineMethod: typeof defineMethod }))
await app.close()
`

test('npm pack gives a package a host can install and import', { timeout: 120_000 }, async (t) => {
  // install (npm ci, `npm install <git url>`) and pack run `prepare`; npm test has just run the same build
  const manifest = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>, files: string[] }
  assert.equal(manifest.scripts.prepare, 'npm run build')
  const dir = await mkdtemp(join(tmpdir(), 'ws-pack-'))
  t.after(() => rm(dir, { recursive: true, force: true }))
  const { stdout } = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 16 * 1024 * 1024 })
  const [packed] = JSON.parse(stdout) as Array<{ filename: string, files: Array<{ path: string }> }>
  const paths = packed!.files.map((file) => file.path)
  assert.ok(paths.includes('dist/src/index.js') && paths.includes('dist/src/index.d.ts'), 'the build and its types are packed')
  assert.deepEqual(paths.filter((path) => /^(test|bench|src|plugins|routes)\//.test(path) || path.startsWith('dist/test')), [], 'only the build is packed')

  // the host's node_modules: the unpacked package, and its dependencies linked from ours
  const modules = join(dir, 'node_modules')
  const target = join(modules, 'fastify-ws-hub')
  await mkdir(target, { recursive: true })
  await run('tar', ['-xzf', join(dir, packed!.filename), '-C', target, '--strip-components=1'])
  for (const entry of await readdir(join(root, 'node_modules'))) {
    if (entry !== 'fastify-ws-hub' && !entry.startsWith('.')) await symlink(join(root, 'node_modules', entry), join(modules, entry))
  }
  await writeFile(join(dir, 'host.mjs'), HOST)
  const host = await run(process.execPath, [join(dir, 'host.mjs')], { cwd: dir })
  assert.deepEqual(JSON.parse(host.stdout), {
    health: { status: 'ok', instanceId: 'packed', connections: 0, pubsub: { adapter: 'local', channel: 'websocket.broadcast', connected: true } },
    notify: { connections: 0 },
    defineMethod: 'function'
  })
})

import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { codeBlocks, type CodeBlock } from './helpers/markdown.js'

const run = promisify(execFile)
const root = fileURLToPath(new URL('..', import.meta.url))

async function pages (): Promise<string[]> {
  const docs = (await readdir(join(root, 'docs'))).filter((name) => name.endsWith('.md')).sort()
  return ['README.md', ...docs.map((name) => `docs/${name}`)]
}

function isTypeScript (block: CodeBlock): boolean {
  return block.lang === 'ts' || block.lang === 'typescript'
}

/** `// src/methods/self-reply.ts` (optionally followed by `: …`) on the first line: the block quotes that file. */
function quotedFile (block: CodeBlock): string | undefined {
  const match = /^\/\/ ([\w./-]+\.ts)\b/.exec(block.code)
  return match !== null && existsSync(join(root, match[1]!)) ? match[1] : undefined
}

/**
 * What a snippet takes for granted: `Fastify`, the plugin as `wsServer`, an `app`, and on the client's pages
 * `HubClient`, a `client`, its `url` and a subscription `room`, each declared only when the snippet does not declare
 * it itself. Snippets are read as pages of one app, not as whole files.
 */
function prelude (code: string): string[] {
  const lines: string[] = []
  const declares = (name: string) =>
    new RegExp(`^(?:const|let|var)\\s+(?:${name}\\b|[{[][^=]*\\b${name}\\b[^=]*[}\\]]\\s*=)`, 'm').test(code) ||
    new RegExp(`^import\\s[^'"]*\\b${name}\\b[^'"]*\\sfrom\\s`, 'm').test(code)
  if (!declares('Fastify')) lines.push("import Fastify from 'fastify'")
  if (!declares('wsServer')) lines.push("import wsServer from 'fastify-ws-hub'", 'void wsServer')
  if (!declares('app')) lines.push('const app = Fastify()', 'void app')
  if (/\bHubClient\b|\bclient\.|\broom\./.test(code) && !declares('HubClient')) lines.push("import { HubClient } from 'fastify-ws-hub/client'")
  if (/\burl\b/.test(code) && !declares('url')) lines.push("const url = 'ws://localhost:8080/ws'")
  if (/(?<![\w'"])(?:client|room)\./.test(code) && !declares('client')) lines.push("const client = new HubClient('ws://localhost:8080/ws')", 'void client')
  if (/(?<![\w'"])room\./.test(code) && !declares('room')) lines.push("const room = client.subscribe('room', { onMessage () {} })")
  return lines
}

/** The app's own functions a snippet calls (`show`, `fetchToken`): declared as such, so only the package is checked. */
const PACKAGE_NAMES = new Set(['HubClient', 'HubError', 'wsServer', 'defineMethod', 'Fastify', 'Type', 'RpcError', 'ErrorCode', 'CloseCode'])

test('every TypeScript block of the README and docs type-checks against the built package, or quotes its file exactly', { timeout: 120_000 }, async (t) => {
  const blocks = (await codeBlocks(root, await pages())).filter(isTypeScript)
  assert.ok(blocks.length >= 8, `found ${blocks.length} TypeScript blocks`)

  const checked: Array<{ block: CodeBlock, file: string, offset: number }> = []
  const dir = join(root, '.docs-check')
  await rm(dir, { recursive: true, force: true })
  await mkdir(dir)
  t.after(() => rm(dir, { recursive: true, force: true }))
  for (const block of blocks) {
    const quoted = quotedFile(block)
    if (quoted !== undefined) {
      const body = block.code.split('\n').slice(1).join('\n').trim()
      const source = await readFile(join(root, quoted), 'utf8')
      assert.ok(source.includes(body), `${block.page}:${block.line} quotes ${quoted}, which no longer reads so:\n${body}`)
      continue
    }
    const head = prelude(block.code)
    const file = `block-${checked.length + 1}.ts`
    await writeFile(join(dir, file), [...head, block.code, 'export {}', ''].join('\n'))
    checked.push({ block, file, offset: head.length })
  }
  // the package's own name resolves to the build through its `exports`, as in a host's node_modules
  await writeFile(join(dir, 'tsconfig.json'), JSON.stringify({
    extends: '../tsconfig.json',
    compilerOptions: { noEmit: true, noUnusedLocals: false, rootDir: '.' },
    include: ['*.ts']
  }))
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  const typeCheck = () => run(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'], { cwd: root })
    .then(() => '', (err: { stdout?: string }) => err.stdout ?? String(err))
  // a first pass finds the names the app itself would define; they are declared, and the second pass is the check
  const unknown = /block-(\d+)\.ts\(\d+,\d+\): error TS2304: Cannot find name '(\w+)'/g
  const appNames = new Map<number, Set<string>>()
  for (const [, n, name] of (await typeCheck()).matchAll(unknown)) {
    if (PACKAGE_NAMES.has(name!)) continue
    const names = appNames.get(Number(n)) ?? new Set()
    appNames.set(Number(n), names.add(name!))
  }
  for (const [n, names] of appNames) {
    const entry = checked[n - 1]!
    const head = [...prelude(entry.block.code), ...[...names].map((name) => `declare function ${name} (...args: any[]): any`)]
    await writeFile(join(dir, entry.file), [...head, entry.block.code, 'export {}', ''].join('\n'))
    entry.offset = head.length
  }
  const result = await typeCheck()
  // tsc prints `.docs-check/block-3.ts(5,7): error TS…`: point at the page and line instead
  const located = result.replace(/(?:\.docs-check\/)?block-(\d+)\.ts\((\d+),(\d+)\)/g, (_all, n: string, line: string, col: string) => {
    const entry = checked[Number(n) - 1]!
    return `${entry.block.page}:${entry.block.line + Number(line) - 1 - entry.offset}:${col}`
  })
  assert.equal(located, '', `code blocks that do not type-check:\n${located}`)
  assert.ok(checked.length >= 6, `type-checked ${checked.length} blocks`)
})

test('every JSON block of the README and docs parses, whole or a value per line, except the parse-error example', async () => {
  const blocks = (await codeBlocks(root, await pages())).filter((block) => block.lang === 'json')
  assert.ok(blocks.length >= 20, `found ${blocks.length} JSON blocks`)
  for (const block of blocks) {
    if (block.heading.includes('-32700')) continue
    try {
      JSON.parse(block.code)
    } catch {
      for (const [index, line] of block.code.split('\n').entries()) {
        if (line.trim() === '') continue
        assert.doesNotThrow(() => JSON.parse(line), `${block.page}:${block.line + index} is not JSON: ${line}`)
      }
    }
  }
})

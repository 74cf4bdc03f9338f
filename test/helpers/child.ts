import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

/** Where the process's code lives; the release build is run as users run it, once it is not older than its sources. */
const SOURCES = ['src', 'plugins', 'routes']
const BUILT_ENTRY = join(root, 'dist/src/server.js')

function newestSource (dir: string): number {
  let newest = 0
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs)
  }
  return newest
}

let entry: string[] | undefined
/** `node dist/src/server.js` when `npm run build` is current (npm test builds first), else the TypeScript through tsx. */
function serverEntry (): string[] {
  if (entry !== undefined) return entry
  const built = existsSync(BUILT_ENTRY) ? statSync(BUILT_ENTRY).mtimeMs : 0
  const isCurrent = built > 0 && SOURCES.every((dir) => newestSource(join(root, dir)) <= built)
  entry = isCurrent ? [BUILT_ENTRY] : ['--import', 'tsx', 'src/server.ts']
  return entry
}

export interface ServerProcess {
  proc: ChildProcess
  port: number
  url: string
  http: string
  /** Every log line so far, parsed when it is JSON. */
  logs: Array<Record<string, any>>
  /** Resolves with the exit code (or signal name) once the process ends. */
  exited: Promise<number | string>
  /** Resolves with the first log line for which `match` is true. */
  waitForLog (match: (line: Record<string, any>) => boolean): Promise<Record<string, any>>
}

/** Runs `src/server.ts` as a real process with only the given `WS_*` variables, and waits for it to listen. */
export async function spawnServer (t: TestContext, env: Record<string, string> = {}): Promise<ServerProcess> {
  const child = runServer(t, { WS_HOST: '127.0.0.1', WS_PORT: '0', ...env })
  const listening = await child.waitForLog((line) => typeof line.msg === 'string' && line.msg.startsWith('Server listening at http://127.0.0.1:'))
  const port = Number(/:(\d+)$/.exec(listening.msg)![1])
  return { ...child, port, url: `ws://127.0.0.1:${port}/ws`, http: `http://127.0.0.1:${port}` }
}

/** Starts the server process without waiting for it to listen (for start-up failures). */
export function runServer (t: TestContext, env: Record<string, string>): Omit<ServerProcess, 'port' | 'url' | 'http'> & { stderr: () => string } {
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('WS_')))
  // TEST_FAST_PATH=false runs the suite's servers without the fast path (test/fast-path-off/)
  const fastPath = process.env.TEST_FAST_PATH === undefined ? {} : { WS_FAST_PATH: process.env.TEST_FAST_PATH }
  const proc = spawn(process.execPath, serverEntry(), {
    cwd: root,
    env: { ...cleanEnv, ...fastPath, ...env },
    stdio: ['ignore', 'pipe', 'pipe']
  })
  const exited = once(proc, 'exit').then(([code, signal]) => (code ?? signal) as number | string)
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGKILL')
      await exited
    }
  })
  const logs: Array<Record<string, any>> = []
  const watchers: Array<{ match: (line: Record<string, any>) => boolean, resolve: (line: Record<string, any>) => void }> = []
  let stderr = ''
  proc.stderr!.on('data', (chunk) => { stderr += chunk })
  createInterface({ input: proc.stdout! }).on('line', (text) => {
    let line: Record<string, any>
    try { line = JSON.parse(text) } catch { line = { msg: text } }
    logs.push(line)
    for (const watcher of [...watchers]) {
      if (watcher.match(line)) {
        watchers.splice(watchers.indexOf(watcher), 1)
        watcher.resolve(line)
      }
    }
  })
  function waitForLog (match: (line: Record<string, any>) => boolean): Promise<Record<string, any>> {
    const seen = logs.find(match)
    if (seen) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      watchers.push({ match, resolve })
      exited.then((code) => reject(new Error(`server exited with ${code} before the awaited log line; stderr: ${stderr}`)))
    })
  }
  return { proc, logs, exited, waitForLog, stderr: () => stderr }
}

import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { findBinary, freePort } from './brokers.js'

const START_DEADLINE_MS = 15_000

export interface ToolRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Debian's `promtool`, or undefined with the test skipped when it is missing outside CI (under CI=true: a failure). */
export function findPromtool (t: TestContext): string | undefined {
  const binary = findBinary('promtool')
  if (binary === undefined) t.skip('promtool is not installed (apt-get install prometheus)')
  return binary
}

/** Runs `promtool args…` with `input` on stdin and collects everything it prints. */
export async function runTool (binary: string, args: string[], input = ''): Promise<ToolRun> {
  const proc = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] })
  let stdout = ''
  let stderr = ''
  proc.stdout.on('data', (chunk) => { stdout += chunk })
  proc.stderr.on('data', (chunk) => { stderr += chunk })
  proc.stdin.end(input)
  const [code] = await once(proc, 'close') as [number | null]
  return { code, stdout, stderr }
}

export interface Prometheus {
  /** `http://127.0.0.1:<port>` */
  http: string
  /** GET `/api/v1/<path>`; throws unless Prometheus answers `status: success`. */
  api<T = any> (path: string, params?: Record<string, string>): Promise<T>
}

/**
 * Runs Debian's `prometheus` on a free loopback port with `config` (prometheus.yml text) and its TSDB in a temp dir,
 * both removed after the test. Resolves once it logs that it is ready. Undefined (skipped) when it is missing outside CI.
 */
export async function startPrometheus (t: TestContext, config: string): Promise<Prometheus | undefined> {
  const binary = findBinary('prometheus')
  if (binary === undefined) {
    t.skip('prometheus is not installed (apt-get install prometheus)')
    return undefined
  }
  const dir = await mkdtemp(join(tmpdir(), 'ws-prometheus-'))
  const configFile = join(dir, 'prometheus.yml')
  await writeFile(configFile, config)
  const port = await freePort()
  const proc = spawn(binary, [
    `--config.file=${configFile}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`
  ], { stdio: ['ignore', 'pipe', 'pipe'] })
  const exited = once(proc, 'exit')
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  })

  let output = ''
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`prometheus was not ready within ${START_DEADLINE_MS} ms: ${output}`)), START_DEADLINE_MS)
    // it logs to stderr, one logfmt line per event
    proc.stderr!.on('data', (chunk) => {
      output += chunk
      if (output.includes('Server is ready to receive web requests.')) {
        clearTimeout(timer)
        resolve()
      }
    })
    proc.stdout!.on('data', (chunk) => { output += chunk })
    exited.then(([code]) => {
      clearTimeout(timer)
      reject(new Error(`prometheus exited with ${code}: ${output}`))
    })
  })

  const http = `http://127.0.0.1:${port}`
  return {
    http,
    async api (path, params = {}) {
      const response = await fetch(`${http}/api/v1/${path}?${new URLSearchParams(params)}`)
      const body = await response.json() as { status: string, data: any, error?: string, errorType?: string }
      if (body.status !== 'success') throw new Error(`prometheus /api/v1/${path} ${JSON.stringify(params)}: ${body.errorType}: ${body.error}`)
      return body.data
    }
  }
}

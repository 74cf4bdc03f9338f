import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { findBinary, freePort } from './brokers.js'

const SHIPPED = fileURLToPath(new URL('../../deploy/nginx.conf', import.meta.url))
const START_DEADLINE_MS = 10_000

export type Balancing = 'round-robin' | 'ip_hash' | 'least_conn'

export interface Nginx {
  port: number
  url: string
  http: string
  /** The config nginx actually runs, as templated from deploy/nginx.conf. */
  config: string
}

/**
 * The shipped deploy/nginx.conf with only its addresses changed: the upstream's one `server websocket:8080`
 * line becomes one line per local instance, `listen 80` a free loopback port, and for a variant the
 * commented balancing line is uncommented. Throws if the shipped file no longer has those lines.
 */
export function templateConfig (shipped: string, upstreamPorts: number[], listenPort: number, balancing: Balancing): string {
  let config = replaceOnce(shipped, /^(\s*)server websocket:8080( [^;]*)?;$/m, (_m, indent: string, params = '') =>
    upstreamPorts.map((port) => `${indent}server 127.0.0.1:${port}${params};`).join('\n'))
  config = replaceOnce(config, /^(\s*)listen 80;$/m, (_m, indent: string) => `${indent}listen 127.0.0.1:${listenPort};`)
  if (balancing !== 'round-robin') {
    config = replaceOnce(config, new RegExp(`^(\\s*)# ${balancing};`, 'm'), (_m, indent: string) => `${indent}${balancing};`)
  }
  return config
}

function replaceOnce (text: string, pattern: RegExp, replacer: (...groups: any[]) => string): string {
  const matches = text.match(new RegExp(pattern.source, pattern.flags + 'g'))
  if (matches?.length !== 1) throw new Error(`deploy/nginx.conf must contain ${pattern} exactly once, found ${matches?.length ?? 0}`)
  return text.replace(pattern, replacer)
}

/**
 * Runs Debian's nginx in the foreground with a temp prefix (pid, logs, temp paths) around the templated
 * shipped config. Returns undefined (test skipped) when nginx is missing outside CI. Each proxied WebSocket holds
 * two of `workerConnections` (the client's and the upstream's).
 */
export async function startNginx (t: TestContext, upstreamPorts: number[], balancing: Balancing = 'round-robin', { workerConnections = 1024 } = {}): Promise<Nginx | undefined> {
  const binary = findBinary('nginx')
  if (binary === undefined) {
    t.skip('nginx is not installed')
    return undefined
  }
  const dir = await mkdtemp(join(tmpdir(), 'ws-nginx-'))
  const port = await freePort()
  const config = templateConfig(await readFile(SHIPPED, 'utf8'), upstreamPorts, port, balancing)
  await writeFile(join(dir, 'default.conf'), config)
  // what the nginx image's own nginx.conf provides around conf.d/*.conf, with every path inside the temp dir
  await writeFile(join(dir, 'nginx.conf'), `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections ${workerConnections}; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  include ${dir}/default.conf;
}
`)
  const proc = spawn(binary, ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  proc.stdout!.on('data', (chunk) => { output += chunk })
  proc.stderr!.on('data', (chunk) => { output += chunk })
  const exited = once(proc, 'exit')
  t.after(async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGQUIT')
      await exited
    }
    await rm(dir, { recursive: true, force: true })
  })

  // nginx says nothing when it is ready; an answered request through it is the event
  const http = `http://127.0.0.1:${port}`
  const started = Date.now()
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`nginx exited with ${proc.exitCode}: ${output}${await readFile(join(dir, 'error.log'), 'utf8').catch(() => '')}`)
    try {
      await fetch(`${http}/health`)
      break
    } catch {}
    if (Date.now() - started > START_DEADLINE_MS) throw new Error(`nginx did not answer within ${START_DEADLINE_MS} ms: ${output}`)
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  return { port, url: `ws://127.0.0.1:${port}/ws`, http, config }
}

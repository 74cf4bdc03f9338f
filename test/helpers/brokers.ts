import { spawn, type ChildProcess } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { once } from 'node:events'
import { createServer } from 'node:net'
import { createInterface } from 'node:readline'
import type { TestContext } from 'node:test'

export type BrokerKind = 'redis' | 'nats'

/** A private broker process on its own loopback port; it can be killed and started again on that same port. */
export interface Broker {
  kind: BrokerKind
  port: number
  /** `redis://127.0.0.1:<port>/0` or `nats://127.0.0.1:<port>` (without credentials). */
  url: string
  readonly isRunning: boolean
  /** SIGKILL: the broker vanishes the way a crash or a lost host looks to its clients. */
  kill (): Promise<void>
  /** Starts it again on the same port and resolves once it accepts connections. */
  restart (): Promise<void>
}

const BINARIES: Record<BrokerKind, string> = { redis: 'redis-server', nats: 'nats-server' }
// the line each server prints once it accepts connections
const READY: Record<BrokerKind, RegExp> = { redis: /Ready to accept connections/, nats: /Server is ready/ }
const START_DEADLINE_MS = 10_000

/** The binary's path, or a reason the test cannot run. Under CI=true a missing binary is a failure, not a skip. */
export function findBinary (name: string): string | undefined {
  // Debian puts nginx in /usr/sbin, which a non-root PATH often lacks
  for (const dir of (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/usr/local/sbin'])) {
    try {
      accessSync(`${dir}/${name}`, constants.X_OK)
      return `${dir}/${name}`
    } catch {}
  }
  if (process.env.CI === 'true') throw new Error(`${name} is not installed; .ci/run installs it with apt`)
  return undefined
}

/** A port nothing listens on right now (the kernel picks it; the caller binds it soon after). */
export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  server.close()
  await once(server, 'close')
  return address.port
}

/**
 * Starts a private `redis-server` or `nats-server` on a free port, stopped after the test.
 * Returns undefined (and marks the test skipped with the reason) when the binary is missing outside CI.
 * `args` are extra server flags, e.g. `['--requirepass', 's3cret']` or `['--user', 'a', '--pass', 'b']`.
 */
export async function startBroker (t: TestContext, kind: BrokerKind, args: string[] = [], port?: number): Promise<Broker | undefined> {
  const binary = findBinary(BINARIES[kind])
  if (binary === undefined) {
    t.skip(`${BINARIES[kind]} is not installed`)
    return undefined
  }
  const chosenPort = port ?? await freePort()
  // redis writes its files (AOF when a test turns it on) here, not into the working tree
  const dir = await mkdtemp(join(tmpdir(), `ws-${kind}-`))
  let proc: ChildProcess | undefined

  async function launch () {
    const argv = kind === 'redis'
      ? ['--port', String(chosenPort), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--logfile', '', ...args]
      : ['-a', '127.0.0.1', '-p', String(chosenPort), ...args]
    const child = spawn(binary!, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
    proc = child
    let output = ''
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${kind} did not start within ${START_DEADLINE_MS} ms: ${output}`)), START_DEADLINE_MS)
      const onLine = (line: string) => {
        output += line + '\n'
        if (READY[kind].test(line)) {
          clearTimeout(timer)
          resolve()
        }
      }
      createInterface({ input: child.stdout! }).on('line', onLine)
      createInterface({ input: child.stderr! }).on('line', onLine)
      child.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`${kind} exited with ${code} before it was ready: ${output}`))
      })
    })
    await ready
  }

  async function kill () {
    const child = proc
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return
    const exited = once(child, 'exit')
    child.kill('SIGKILL')
    await exited
  }

  t.after(async () => {
    await kill()
    await rm(dir, { recursive: true, force: true })
  })
  await launch()
  return {
    kind,
    port: chosenPort,
    url: kind === 'redis' ? `redis://127.0.0.1:${chosenPort}/0` : `nats://127.0.0.1:${chosenPort}`,
    get isRunning () { return proc !== undefined && proc.exitCode === null && proc.signalCode === null },
    kill,
    restart: launch
  }
}

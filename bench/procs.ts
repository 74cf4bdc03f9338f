import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFileSync } from 'node:fs'
import { createServer, connect } from 'node:net'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'

export const root = fileURLToPath(new URL('..', import.meta.url))
/** Servers and brokers run here; the load generator gets the other core. */
export const SERVER_CPU = '0'
export const LOAD_CPU = '1'
const TICK_US = 1e6 / 100 // CLK_TCK is 100 on Linux

export interface Proc {
  pid: number
  port: number
  child: ChildProcess
  /** Asks a server started with bench/peers/gc-signal.ts to collect garbage, then reads its memory. */
  memory (): Promise<NodeJS.MemoryUsage & { vmRss: number }>
  stop (): Promise<void>
}

export async function freePort (): Promise<number> {
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  server.close()
  await once(server, 'close')
  return port
}

function canConnect (port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1')
    socket.once('connect', () => { socket.destroy(); resolve(true) })
    socket.once('error', () => resolve(false))
  })
}

/** Starts `command` pinned to the server core and resolves once its port accepts connections. */
export async function startPinned (name: string, command: string[], port: number, env: Record<string, string> = {}): Promise<Proc> {
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('WS_') && !key.startsWith('BENCH_')))
  const child = spawn('taskset', ['-c', SERVER_CPU, ...command], { cwd: root, env: { ...cleanEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  let output = ''
  const keep = (chunk: Buffer) => { output = (output + chunk.toString()).slice(-4000) }
  let onMemory: ((line: string) => void) | undefined
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.startsWith('bench-mem ') && onMemory !== undefined) onMemory(line.slice('bench-mem '.length))
    else keep(Buffer.from(line + '\n'))
  })
  child.stderr!.on('data', keep)
  const exited = once(child, 'exit')
  const deadline = Date.now() + 30_000
  while (!(await canConnect(port))) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${name} exited before listening:\n${output}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`${name} did not listen on ${port} within 30 s:\n${output}`)
    }
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return {
    pid: child.pid!,
    port,
    child,
    memory () {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not report its memory`)), 30_000)
        onMemory = (line) => {
          clearTimeout(timer)
          onMemory = undefined
          // VmRSS read after the collection, from the kernel's side
          resolve({ ...JSON.parse(line), vmRss: rssBytes(child.pid!) })
        }
        child.kill('SIGUSR2')
      })
    },
    async stop () {
      if (child.exitCode !== null || child.signalCode !== null) return
      // SIGTERM first, so a --cpu-prof profile gets written; SIGKILL if it takes too long
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000)
      await exited
      clearTimeout(timer)
    }
  }
}

/** utime + stime of a process so far, in µs. */
export function cpuUs (pid: number): number {
  const { user, system } = cpuSplitUs(pid)
  return user + system
}

/** utime and stime of a process so far, in µs: user space, and the kernel (socket writes included). */
export function cpuSplitUs (pid: number): { user: number, system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is the state (field 3), so utime (14) and stime (15) are at 11 and 12
  return { user: Number(fields[11]) * TICK_US, system: Number(fields[12]) * TICK_US }
}

export function rssBytes (pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024
}

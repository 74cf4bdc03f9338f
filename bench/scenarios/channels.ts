import { randomBytes } from 'node:crypto'
import { fileURLToPath } from 'node:url'
import type { ChannelCommand, ChannelReply, Seat } from '../load/channel-messages.js'
import { Histogram } from '../load/histogram.js'
import { ForkedWorker } from '../load/pool.js'
import { cpuSplitUs, freePort, startPinned, type Proc } from '../procs.js'
import { sleep } from '../stats.js'

const WORKER = fileURLToPath(new URL('../load/channel-worker.ts', import.meta.url))
const REPLY_TIMEOUT_MS = 180_000
export const INSTANCES = 3
/** BENCH_CPU_PROF=dir writes a `node --cpu-prof` profile of every server there, as in targets.ts. */
const PROFILE = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : []

/** The channel load generator (bench/load/channel-worker.ts). */
type ChannelWorker = ForkedWorker<ChannelCommand, ChannelReply>

/**
 * `channels` channels of `perChannel` subscribers. The first half keep all their subscribers on one instance
 * (channel k on k mod 3), the second half split them over two (k mod 3 and k + 1 mod 3): each instance holds
 * about half the channels, so a broker that sends an instance only its channels saves it half the traffic.
 */
export function layout (channels: number, perChannel: number): { seats: Seat[], holders: Map<string, Set<number>> } {
  const seats: Seat[] = []
  const holders = new Map<string, Set<number>>()
  for (let k = 0; k < channels; k++) {
    const channel = `c${k}`
    const on = new Set<number>()
    for (let s = 0; s < perChannel; s++) {
      const instance = k < channels / 2 || s < perChannel / 2 ? k % INSTANCES : (k + 1) % INSTANCES
      on.add(instance)
      seats.push({ instance, channel })
    }
    holders.set(channel, on)
  }
  return { seats, holders }
}

/** Ours, Socket.IO rooms, and the floor: bare `ws` + `ioredis` routed per channel (bench/peers/ws-redis-channels.ts). */
export type ChannelTarget = 'ours-redis' | 'sio-redis' | 'bare-redis'

const PEERS: Record<Exclude<ChannelTarget, 'ours-redis'>, string> = {
  'sio-redis': 'bench/peers/socketio-rooms.ts',
  'bare-redis': 'bench/peers/ws-redis-channels.ts'
}

export interface ChannelServers {
  target: ChannelTarget
  procs: Proc[]
  urls: string[]
  /** Messages each instance has taken off the broker so far. */
  received (): Promise<number[]>
  stop (): Promise<void>
}

/**
 * Three processes of ours (the release build, `dist/`) or of the Socket.IO rooms peer, on one Redis. `env` adds
 * to ours (history knobs, say); `channel` is the deployment's prefix, a fresh one by default.
 */
export async function startServers (target: ChannelTarget, redisUrl: string, env: Record<string, string> = {}, channel = `bench.${randomBytes(4).toString('hex')}`): Promise<ChannelServers> {
  const procs: Proc[] = []
  try {
    for (let i = 0; i < INSTANCES; i++) {
      const port = await freePort()
      procs.push(target === 'ours-redis'
        ? await startPinned(target, [process.execPath, ...PROFILE, 'dist/src/server.js'], port, {
          WS_HOST: '127.0.0.1',
          WS_PORT: String(port),
          WS_LOG_LEVEL: 'warn',
          WS_INSTANCE_ID: `bench${i}`,
          WS_MAX_CONNECTIONS: '20000',
          WS_RATE_LIMIT_ENABLED: 'false',
          WS_PUBSUB_ENABLED: 'true',
          WS_PUBSUB_ADAPTER: 'redis',
          WS_PUBSUB_CHANNEL: channel,
          WS_REDIS_URL: redisUrl,
          ...env
        })
        : await startPinned(target, [process.execPath, ...PROFILE, '--import', 'tsx', PEERS[target]], port, {
          BENCH_PORT: String(port), BENCH_CHANNEL: channel, BENCH_REDIS_URL: redisUrl
        }))
    }
  } catch (err) {
    await Promise.all(procs.map((proc) => proc.stop()))
    throw err
  }
  const urls = procs.map((proc) => target === 'sio-redis' ? `ws://127.0.0.1:${proc.port}` : `ws://127.0.0.1:${proc.port}/ws`)
  return {
    target,
    procs,
    urls,
    received: () => Promise.all(procs.map(async (proc) => {
      if (target === 'sio-redis') return Number(await (await fetch(`http://127.0.0.1:${proc.port}/received`)).text())
      const text = await (await fetch(`http://127.0.0.1:${proc.port}/metrics`)).text()
      return Number(/^ws_pubsub_received_total (\d+)/m.exec(text)?.[1] ?? NaN)
    })),
    stop: async () => { await Promise.all(procs.map((proc) => proc.stop())) }
  }
}

export interface Audience {
  servers: ChannelServers
  workers: ChannelWorker[]
  holders: Map<string, Set<number>>
  connected: number
  connectMs: number
}

let prefixes = 0

/** Two load workers, each holding half the seats; the first also holds the publisher. */
export async function openAudience (servers: ChannelServers, channels: number, perChannel: number): Promise<Audience> {
  const { seats, holders } = layout(channels, perChannel)
  const workers: ChannelWorker[] = await Promise.all([0, 1].map(() => ForkedWorker.start<ChannelCommand, ChannelReply>(WORKER, REPLY_TIMEOUT_MS)))
  const half = Math.ceil(seats.length / 2)
  const kind = servers.target === 'sio-redis' ? 'sio' : 'ours'
  const started = Date.now()
  const replies = await Promise.all(workers.map((worker, w) => worker.request({
    type: 'connect', kind, urls: servers.urls, seats: seats.slice(w * half, (w + 1) * half), addressPrefix: `127.${10 + (prefixes++ % 240)}`, publisher: w === 0
  }, 'connected')))
  const failed = replies.reduce((sum, r) => sum + r.failed, 0)
  if (failed > 0) {
    await Promise.all(workers.map((worker) => worker.close()))
    throw new Error(`${servers.target}: ${failed} subscribers failed (${replies.find((r) => r.firstError !== '')?.firstError})`)
  }
  return { servers, workers, holders, connected: replies.reduce((sum, r) => sum + r.connected, 0), connectMs: Date.now() - started }
}

export async function closeAudience (audience: Audience) {
  await Promise.all(audience.workers.map((worker) => worker.close()))
}

export interface ChannelTrial {
  sent: number
  expected: number
  delivered: number
  lost: number
  duplicated: number
  closed: number
  sendMs: number
  p50: number
  p99: number
  /** Server CPU (the three processes, not Redis) per delivered message, µs. */
  cpuUsPerMsg: number
  /** That CPU in all, µs, from before the first publish to the end of the drain. */
  cpuUs: number
  /** The kernel's part of that CPU (system ÷ user + system time): socket writes, wake-ups, context switches. */
  systemShare: number
  /** Per instance: messages taken off Redis, and the publishes to channels it holds. */
  received: number[]
  relevant: number[]
}

let trials = 0

function serverCpu (pids: number[]) {
  return pids.map(cpuSplitUs).reduce((sum, cpu) => ({ user: sum.user + cpu.user, system: sum.system + cpu.system }), { user: 0, system: 0 })
}

/** Publishes at `rate` for `durationMs`, drains, and counts deliveries, server CPU and each instance's broker intake. */
export async function trial (audience: Audience, rate: number, durationMs: number): Promise<ChannelTrial> {
  const { servers, workers, holders } = audience
  const id = trials++
  await Promise.all(workers.map((worker) => worker.request({ type: 'arm', trial: id }, 'armed')))
  const pids = servers.procs.map((proc) => proc.pid)
  const receivedBefore = await servers.received()
  const cpuBefore = serverCpu(pids)
  const { sent, ms: sendMs, perChannel } = await workers[0]!.request({ type: 'send', trial: id, rate, durationMs, channels: [...holders.keys()] }, 'sent')
  const expected = Object.entries(perChannel).reduce((sum, [channel, n]) => sum + n * audience.connected / holders.size, 0)
  // drain: stop once everything arrived, or nothing more came for a second, bounded at 10 s
  let last = -1
  let still = 0
  for (let waited = 0; waited < 10_000; waited += 100) {
    const progress = await Promise.all(workers.map((worker) => worker.request({ type: 'progress' }, 'progress')))
    const received = progress.reduce((sum, p) => sum + p.received, 0)
    if (received >= expected) break
    still = received === last ? still + 100 : 0
    if (still >= 1_000) break
    last = received
    await sleep(100)
  }
  const cpuAfter = serverCpu(pids)
  const receivedAfter = await servers.received()
  const reports = await Promise.all(workers.map((worker) => worker.request({ type: 'report' }, 'report')))
  const histogram = new Histogram()
  let received = 0
  let duplicated = 0
  let closed = 0
  for (const report of reports) {
    received += report.received
    duplicated += report.duplicated
    closed += report.closed
    histogram.merge(report.histogram)
  }
  const relevant = servers.procs.map((_, instance) => Object.entries(perChannel).reduce((sum, [channel, n]) => sum + (holders.get(channel)!.has(instance) ? n : 0), 0))
  const delivered = received - duplicated
  const usedUs = cpuAfter.user + cpuAfter.system - cpuBefore.user - cpuBefore.system
  return {
    sent,
    expected,
    delivered,
    lost: expected - delivered,
    duplicated,
    closed,
    sendMs,
    p50: histogram.quantile(0.5),
    p99: histogram.quantile(0.99),
    cpuUsPerMsg: usedUs / delivered,
    cpuUs: usedUs,
    systemShare: (cpuAfter.system - cpuBefore.system) / usedUs,
    received: receivedAfter.map((n, i) => n - receivedBefore[i]!),
    relevant
  }
}

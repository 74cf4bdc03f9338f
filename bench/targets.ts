import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { freePort, root, startPinned, type Proc } from './procs.js'
import type { Kind } from './load/kind.js'
import { SERVER_ENTRY } from './release.js'

/**
 * A server under test: ours with an adapter, the raw `ws` peer (echoing frames, or `ws-json` answering them as
 * JSON-RPC with JSON.parse + JSON.stringify), or Socket.IO (optionally on Redis).
 */
export type TargetName = 'ws' | 'ws-json' | 'ours' | 'ours-b' | 'ours-redis' | 'ours-redis-streams' | 'ours-nats' | 'sio' | 'sio-redis'

export interface Brokers {
  redisUrl: string
  natsUrl: string
}

export interface Running {
  name: TargetName
  kind: Kind
  procs: Proc[]
  urls: string[]
  stop (): Promise<void>
}

const PROFILE = process.env.BENCH_CPU_PROF !== undefined && process.env.BENCH_CPU_PROF !== ''
  ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
  : []
/** BENCH_CPU_PROF=dir writes a `node --cpu-prof` profile of every server under test there. */
const NODE = [process.execPath, ...PROFILE, '--expose-gc', '--import', './bench/peers/gc-signal.js']
/** The peers are bench code, run from source. */
const PEER = [...NODE, '--import', 'tsx']

export function kindOf (name: TargetName): Kind {
  return name === 'ws' || name === 'ws-json' ? name : name.startsWith('sio') ? 'sio' : 'ours'
}

/** The JSON-RPC servers, which the echo loop drives in every key order. */
export function speaksJsonRpc (name: TargetName): boolean {
  return name === 'ws-json' || name.startsWith('ours')
}

/** Starts `instances` processes of a target on the server core; `mode` picks echo or broadcast for the raw ws peer. */
export async function startTarget (name: TargetName, instances: number, mode: 'broadcast' | 'echo', brokers: Brokers): Promise<Running> {
  const channel = `bench.${randomBytes(4).toString('hex')}`
  const procs: Proc[] = []
  try {
    for (let i = 0; i < instances; i++) {
      const port = await freePort()
      procs.push(await startOne(name, i, port, mode, channel, brokers))
    }
  } catch (err) {
    await Promise.all(procs.map((proc) => proc.stop()))
    throw err
  }
  const kind = kindOf(name)
  const urls = procs.map((proc) => kind === 'ours' ? `ws://127.0.0.1:${proc.port}/ws` : `ws://127.0.0.1:${proc.port}`)
  return { name, kind, procs, urls, stop: async () => { await Promise.all(procs.map((proc) => proc.stop())) } }
}

function startOne (name: TargetName, index: number, port: number, mode: string, channel: string, brokers: Brokers): Promise<Proc> {
  switch (name) {
    case 'ws':
      return startPinned(name, [...PEER, 'bench/peers/ws-server.ts'], port, { BENCH_PORT: String(port), BENCH_MODE: mode })
    case 'ws-json':
      return startPinned(name, [...PEER, 'bench/peers/ws-server.ts'], port, { BENCH_PORT: String(port), BENCH_MODE: 'json' })
    case 'sio':
    case 'sio-redis':
      return startPinned(name, [...PEER, 'bench/peers/socketio-server.ts'], port, {
        BENCH_PORT: String(port),
        BENCH_CHANNEL: channel,
        ...(name === 'sio-redis' ? { BENCH_REDIS_URL: brokers.redisUrl } : {})
      })
    default: {
      // ours-b: ours (local) with BENCH_B_ENV (`KEY=value,...`) added, for A/B runs of a change behind a flag,
      // or from another checkout (BENCH_B_ROOT, e.g. a `git worktree` of an earlier commit, built) to compare commits;
      // always the release build (bench/release.ts checks that it is current)
      const entry = join(name === 'ours-b' && process.env.BENCH_B_ROOT ? process.env.BENCH_B_ROOT : root, SERVER_ENTRY)
      const extra = name === 'ours-b' ? Object.fromEntries((process.env.BENCH_B_ENV ?? '').split(',').filter(Boolean).map(splitOnEquals)) : {}
      const adapter = name === 'ours' || name === 'ours-b' ? 'local' : name.slice('ours-'.length)
      return startPinned(name, [...NODE, entry], port, {
        WS_HOST: '127.0.0.1',
        WS_PORT: String(port),
        // per-request access logs would be written for every upgrade; the peers log nothing either
        WS_LOG_LEVEL: 'warn',
        WS_INSTANCE_ID: `bench${index}`,
        // the defaults guard a public server; the bench needs 15,000 sockets and one fast sender per instance
        WS_MAX_CONNECTIONS: '20000',
        WS_RATE_LIMIT_ENABLED: 'false',
        WS_PUBSUB_ENABLED: String(adapter !== 'local'),
        WS_PUBSUB_ADAPTER: adapter,
        WS_PUBSUB_CHANNEL: channel,
        ...(brokers.redisUrl !== '' ? { WS_REDIS_URL: brokers.redisUrl } : {}),
        ...(brokers.natsUrl !== '' ? { WS_NATS_URL: brokers.natsUrl } : {}),
        ...extra
      })
    }
  }
}

/** `KEY=value` into its two parts; the value may hold `=` itself (NODE_OPTIONS=--flag=1). */
function splitOnEquals (pair: string): [string, string] {
  const at = pair.indexOf('=')
  return [pair.slice(0, at), pair.slice(at + 1)]
}

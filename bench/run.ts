import { execFileSync } from 'node:child_process'
import { cpus, loadavg, totalmem } from 'node:os'
import { readFileSync, writeFileSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { startBrokers } from './brokers.js'
import { parseKeyOrders } from './load/key-order.js'
import { LOAD_CPU } from './procs.js'
import { prepareBench } from './prepare.js'
import { brokerHop } from './scenarios/broker-hop.js'
import { capacity } from './scenarios/capacity.js'
import { echoRound } from './scenarios/echo.js'
import { closeAudience, openAudience, searchMaxRate, trial, warmedTrial, type TrialResult } from './scenarios/fanout.js'
import { settleLoad } from './settle.js'
import { sleep } from './stats.js'
import { startTarget, type TargetName } from './targets.js'
import { Results } from './results.js'
import { renderReport } from './report.js'

/**
 * `npm run bench`: every scenario against ours and its peers in one run, one table per scenario.
 *   --scenarios capacity,fanout,echo,cluster   (env BENCH_SCENARIOS)
 *   --reps 3                                   (env BENCH_REPS)
 *   --quick                                    smaller N and shorter trials, for a first look (env BENCH_QUICK=1)
 *   --out bench/RESULTS.md                     where the markdown goes (stdout always gets it)
 *   --settle-load 1                            first wait (up to 5 min) for the 1-min load average to fall this low;
 *                                              0 starts at once (env BENCH_SETTLE_LOAD)
 *   --orders id-last,id-first                  request key orders for the echo scenario (env BENCH_ORDERS)
 * Ours runs from dist/ (`npm run build` first when it is missing or stale); with `ws` among the targets, the echo
 * scenario adds `ws-json`, the plain JSON.parse + JSON.stringify JSON-RPC peer.
 */
const { values: args } = parseArgs({
  options: {
    scenarios: { type: 'string', default: process.env.BENCH_SCENARIOS ?? 'capacity,fanout,echo,cluster' },
    reps: { type: 'string', default: process.env.BENCH_REPS ?? '3' },
    quick: { type: 'boolean', default: process.env.BENCH_QUICK === '1' },
    targets: { type: 'string', default: process.env.BENCH_TARGETS ?? 'ws,ours,sio' },
    out: { type: 'string' },
    'settle-load': { type: 'string', default: process.env.BENCH_SETTLE_LOAD ?? '1' },
    orders: { type: 'string', default: process.env.BENCH_ORDERS ?? 'id-last,id-first' }
  }
})
const scenarios = new Set(args.scenarios!.split(','))
const reps = Math.max(1, Number(args.reps))
const quick = args.quick!
const baseTargets = args.targets!.split(',') as TargetName[]

export const plan = {
  capacity: quick ? [{ instances: 1, count: 5_000 }] : [{ instances: 1, count: 15_000 }, { instances: 3, count: 45_000 }],
  fanout: quick
    ? [{ receivers: 1_000, rate: 50, start: 100 }]
    // fixed rates at about half of what one core serves, so CPU per message is read below saturation
    : [{ receivers: 1_000, rate: 50, start: 100 }, { receivers: 10_000, rate: 5, start: 4 }],
  fixedMs: quick ? 3_000 : 8_000,
  searchMs: 2_000,
  searchTrials: quick ? 5 : 8,
  // short slices, the servers in turn, all of them running: see bench/scenarios/echo.ts
  echo: { clients: 100, slices: quick ? 3 : 10, sliceMs: 1_000, warmupMs: 250, orders: parseKeyOrders(args.orders!) },
  cluster: { receivers: 1_000, rate: 50, durationMs: quick ? 3_000 : 5_000 },
  // on one shared core a 1,000-receiver p50 is mostly the order in which the kernel runs three fan-outs
  clusterHop: { receivers: 30, rate: 100, durationMs: quick ? 3_000 : 5_000 }
}

const SETTLE_MAX_MS = 5 * 60_000

function log (line: string) {
  console.error(line)
}

async function main () {
  prepareBench()
  // the harness itself shares the load core
  execFileSync('taskset', ['-a', '-pc', LOAD_CPU, String(process.pid)], { stdio: 'ignore' })
  const started = Date.now()
  const results = new Results()
  // loopback packets queue per CPU; past this many a burst of small frames is dropped and TCP waits out a
  // 200+ ms retransmit timeout, which then dominates every latency figure
  const backlog = Number(readFileSync('/proc/sys/net/core/netdev_max_backlog', 'utf8'))
  if (backlog < 10_000) log(`warning: net.core.netdev_max_backlog is ${backlog}; fan-out latencies will show retransmit stalls (see bench/RESULTS.md)`)
  const needBrokers = scenarios.has('cluster')
  const brokers = needBrokers ? await startBrokers() : { redisUrl: '', natsUrl: '', stop: async () => {} }
  const settleBelow = Number(args['settle-load'])
  const load0 = settleBelow > 0 ? await settleLoad(settleBelow, SETTLE_MAX_MS, log) : loadavg()[0]
  try {
    for (let rep = 1; rep <= reps; rep++) {
      // each repetition starts with another target, so a drift of the machine does not always favour the same one
      const targets = baseTargets.map((_, i) => baseTargets[(i + rep - 1) % baseTargets.length])
      if (scenarios.has('capacity')) {
        for (const { instances, count } of plan.capacity) {
          for (const name of targets) {
            log(`rep ${rep} capacity ${name} ×${instances} N=${count}`)
            const r = await capacity(name, instances, count, brokers)
            log(`  RSS ${(r.bytesPerConn / 1024).toFixed(2)} KiB/conn, heap ${(r.heapPerConn / 1024).toFixed(2)} KiB/conn, ${r.connectPerSec.toFixed(0)} conn/s, ${r.failed} failed`)
            results.add(`capacity/${instances}/${count}`, name, r)
          }
        }
      }
      if (scenarios.has('fanout')) {
        for (const { receivers, rate, start } of plan.fanout) {
          for (const name of targets) {
            log(`rep ${rep} fanout ${name} N=${receivers}`)
            const running = await startTarget(name, 1, 'broadcast', brokers)
            try {
              const audience = await openAudience(running, receivers)
              try {
                const fixed = await warmedTrial(audience, rate, plan.fixedMs)
                logTrial(fixed)
                results.add(`fanout/${receivers}`, name, fixed)
                if (process.env.BENCH_NO_SEARCH === '1') continue
                const max = await searchMaxRate(audience, start, plan.searchMs, plan.searchTrials, log)
                log(`  max loss-free rate ${max} msg/s`)
                results.add(`fanout-max/${receivers}`, name, { maxRate: max, maxDelivered: max * (receivers + 1) })
              } finally {
                await closeAudience(audience)
              }
            } finally {
              await running.stop()
            }
          }
        }
      }
      if (scenarios.has('echo')) {
        // the JSON-RPC peer answers echo requests only; it goes beside the raw ws peer
        const echoTargets = targets.flatMap((name): TargetName[] => name === 'ws' ? ['ws', 'ws-json'] : [name])
        log(`rep ${rep} echo ${echoTargets.join(', ')} (${plan.echo.slices} slices each)`)
        await echoRound(echoTargets, plan.echo, brokers, (name, r) => {
          log(`  ${name}: ${r.reqPerSec.toFixed(0)} req/s, p50 ${(r.p50 / 1000).toFixed(2)} ms, ${r.cpuUsPerReq.toFixed(1)} µs/req`)
          results.add('echo', name, r)
        })
      }
      if (scenarios.has('cluster')) {
        const clusterTargets: Array<[TargetName, number]> = [
          ['ours', 1], ['ours-redis', 3], ['ours-nats', 3], ['ours-redis-streams', 3], ['sio', 1], ['sio-redis', 3]
        ]
        const localMax = results.median('fanout-max/1000', 'ours', 'maxRate')
        for (const [name, instances] of clusterTargets) {
          if (!baseTargets.includes(name.startsWith('ours') ? 'ours' : 'sio')) continue
          log(`rep ${rep} cluster ${name} ×${instances}`)
          let running
          try {
            running = await startTarget(name, instances, 'broadcast', brokers)
          } catch (err) {
            log(`  ${name} unavailable: ${(err as Error).message.split('\n').slice(0, 3).join(' ')}`)
            results.note(`cluster ${name}: not run (${(err as Error).message.split('\n')[0]})`)
            continue
          }
          try {
            const audience = await openAudience(running, plan.cluster.receivers)
            try {
              const fixed = await warmedTrial(audience, plan.cluster.rate, plan.cluster.durationMs)
              logTrial(fixed)
              results.add('cluster', name, { ...fixed, ...byInstance(fixed) })
              if (name.startsWith('ours') && !Number.isNaN(localMax) && localMax > 0) {
                await sleep(300)
                const atMax = await trial(audience, localMax, plan.searchMs)
                log(`  at local max ${localMax} msg/s: lost ${atMax.lost}, p99 ${(atMax.p99 / 1000).toFixed(1)} ms`)
                results.add('cluster-at-local-max', name, { ...atMax, lostAtMax: atMax.lost })
              }
            } finally {
              await closeAudience(audience)
            }
            // a few receivers: each fan-out takes microseconds, so the figure is the broker hop itself
            const light = await openAudience(running, plan.clusterHop.receivers)
            try {
              const hop = await warmedTrial(light, plan.clusterHop.rate, plan.clusterHop.durationMs)
              logTrial(hop)
              results.add('cluster-hop', name, { ...hop, ...byInstance(hop) })
            } finally {
              await closeAudience(light)
            }
          } finally {
            await running.stop()
          }
        }
        if (baseTargets.includes('ours')) {
          for (const broker of ['redis', 'nats'] as const) {
            log(`rep ${rep} bare ${broker} hop`)
            const hop = await brokerHop(broker, broker === 'redis' ? brokers.redisUrl : brokers.natsUrl, plan.clusterHop.rate, plan.clusterHop.durationMs)
            log(`  p50 ${(hop.p50 / 1000).toFixed(2)} ms, p99 ${(hop.p99 / 1000).toFixed(2)} ms, lost ${hop.lost}`)
            results.add('broker-hop', broker, hop)
          }
        }
      }
    }
  } finally {
    await brokers.stop()
  }
  const markdown = renderReport(results, {
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    reps,
    quick,
    wallSeconds: (Date.now() - started) / 1000,
    machine: `${cpus().length}× ${cpus()[0].model}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, Node ${process.version}, ${execFileSync('uname', ['-sr']).toString().trim()}`,
    date: new Date().toISOString(),
    loadBefore: load0,
    netdevBacklog: backlog,
    loadAfter: loadavg()[0],
    plan
  })
  // one run's tables only; the hand-written reading of past runs stays in its own file
  const document = `${markdown}\nThe reading of these figures over past runs (profiles, misses) is in [docs/benchmarks.md](../docs/benchmarks.md).\n`
  console.log(document)
  if (args.out !== undefined) writeFileSync(args.out, document)
}

/** Each instance's p50 as its own field, so a table can show which instance the shared core served first. */
function byInstance (r: TrialResult): Record<string, number> {
  return Object.fromEntries(r.instanceP50.map((us, i) => [`p50Instance${i}`, us]))
}

function logTrial (r: TrialResult) {
  log(`  ${r.rate} msg/s: ${r.deliveredPerSec.toFixed(0)} delivered/s, p50 ${(r.p50 / 1000).toFixed(2)} ms, p99 ${(r.p99 / 1000).toFixed(2)} ms, ` +
    `cross p50 ${(r.crossP50 / 1000).toFixed(2)} ms${r.instanceP50.length > 1 ? ` (by instance ${r.instanceP50.map((us) => (us / 1000).toFixed(2)).join(' / ')})` : ''}, lost ${r.lost}, dup ${r.duplicated}, ${r.cpuUsPerMsg.toFixed(2)} µs/msg, load-gen ${r.loadCpuPct.toFixed(0)}%`)
}

main().then(() => process.exit(0), (err) => {
  console.error(err)
  process.exit(1)
})

import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { Group } from './load/pool.js'
import { cpuUs, LOAD_CPU } from './procs.js'
import { startTarget, type TargetName } from './targets.js'

/**
 * `node --import tsx bench/ab-echo.ts --targets ours,ours-b`: the echo loop on two servers at the same time, both on
 * the server core, and the ratio of their CPU time per request. Run one after the other, two servers drift apart by
 * ±15 % on a shared host; run together they share the drift, and a change of 1-2 % shows (the same code against
 * itself measures 0.99-1.01). For a change in another checkout use BENCH_B_ROOT, behind a flag BENCH_B_ENV.
 *   --targets ours,ours-b   --rounds 6   --clients 50 (per server)   --ms 5000
 */
const { values: args } = parseArgs({
  options: {
    targets: { type: 'string', default: 'ours,ours-b' },
    rounds: { type: 'string', default: '6' },
    clients: { type: 'string', default: '50' },
    ms: { type: 'string', default: '5000' }
  }
})
const [a, b] = args.targets!.split(',') as TargetName[]
const rounds = Number(args.rounds)
const clients = Number(args.clients)
const durationMs = Number(args.ms)

async function round (first: TargetName, second: TargetName): Promise<Record<string, number>> {
  const running = [await startTarget(first, 1, 'echo', { redisUrl: '', natsUrl: '' })]
  try {
    running.push(await startTarget(second, 1, 'echo', { redisUrl: '', natsUrl: '' }))
    const groups = await Promise.all(running.map((run) => Group.open(run.kind, run.urls, clients)))
    try {
      await new Promise((resolve) => setTimeout(resolve, 500))
      const before = running.map((run) => cpuUs(run.procs[0].pid))
      const replies = await Promise.all(groups.map((group) => group.all({ type: 'echo', durationMs, warmupMs: 1_000 }, 'echoed')))
      return Object.fromEntries(running.map((run, i) => [run.name, (cpuUs(run.procs[0].pid) - before[i]) / replies[i][0].allRequests]))
    } finally {
      for (const group of groups) await group.close()
    }
  } finally {
    for (const run of running) await run.stop()
  }
}

async function main () {
  execFileSync('taskset', ['-a', '-pc', LOAD_CPU, String(process.pid)], { stdio: 'ignore' })
  const ratios: number[] = []
  for (let r = 0; r < rounds; r++) {
    // which one starts first alternates, so neither always gets the warmer start
    const us = await round(r % 2 === 0 ? a : b, r % 2 === 0 ? b : a)
    ratios.push(us[a] / us[b])
    console.log(`round ${r + 1}: ${a} ${us[a].toFixed(2)} µs/req, ${b} ${us[b].toFixed(2)} µs/req, ${a}/${b} ${(us[a] / us[b]).toFixed(3)}`)
  }
  ratios.sort((x, y) => x - y)
  console.log(`median ${a}/${b} CPU per request: ${ratios[Math.floor(ratios.length / 2)].toFixed(3)} (${ratios[0].toFixed(3)}–${ratios.at(-1)!.toFixed(3)}, ${rounds} rounds)`)
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { LOAD_CPU } from './procs.js'
import { prepareBench } from './prepare.js'
import { closeAudience, openAudience, trial, type Audience } from './scenarios/fanout.js'
import { startTarget, type Running, type TargetName } from './targets.js'

/**
 * `node --import tsx bench/ab-fanout.ts --targets ours,ours-b`: the fan-out scenario on two servers at the same
 * time, both on the server core, and the ratio of their CPU time per delivered message (see ab-echo.ts for why
 * at the same time). Each server has its own audience; the rate is per server, and both share the load core,
 * so it sits well below what one server alone is run at.
 *   --targets ours,ours-b   --rounds 6   --receivers 1000   --rate 20 (msg/s per server)   --ms 5000
 */
const { values: args } = parseArgs({
  options: {
    targets: { type: 'string', default: 'ours,ours-b' },
    rounds: { type: 'string', default: '6' },
    receivers: { type: 'string', default: '1000' },
    rate: { type: 'string', default: '20' },
    ms: { type: 'string', default: '5000' }
  }
})
const [a, b] = args.targets!.split(',') as TargetName[]
const rounds = Number(args.rounds)
const receivers = Number(args.receivers)
const rate = Number(args.rate)
const durationMs = Number(args.ms)
const NO_BROKERS = { redisUrl: '', natsUrl: '' }

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]

async function main () {
  prepareBench(process.env.BENCH_B_ROOT)
  execFileSync('taskset', ['-a', '-pc', LOAD_CPU, String(process.pid)], { stdio: 'ignore' })
  const running: Running[] = []
  const audiences: Audience[] = []
  try {
    for (const name of [a, b]) running.push(await startTarget(name, 1, 'broadcast', NO_BROKERS))
    for (const run of running) audiences.push(await openAudience(run, receivers))
    // warm-up, not kept
    await Promise.all(audiences.map((audience) => trial(audience, rate, 1_000)))
    const ratios: number[] = []
    for (let r = 0; r < rounds; r++) {
      const [ra, rb] = await Promise.all(audiences.map((audience) => trial(audience, rate, durationMs)))
      ratios.push(ra.cpuUsPerMsg / rb.cpuUsPerMsg)
      console.log(`round ${r + 1}: ${a} ${ra.cpuUsPerMsg.toFixed(3)} µs/msg (lost ${ra.lost}), ${b} ${rb.cpuUsPerMsg.toFixed(3)} µs/msg (lost ${rb.lost}), ${a}/${b} ${(ra.cpuUsPerMsg / rb.cpuUsPerMsg).toFixed(3)}`)
    }
    console.log(`median ${a}/${b} CPU per delivered message: ${median(ratios).toFixed(3)} (${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)}, ${rounds} rounds)`)
  } finally {
    for (const audience of audiences) await closeAudience(audience)
    for (const run of running) await run.stop()
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

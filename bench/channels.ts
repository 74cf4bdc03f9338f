import { writeFileSync } from 'node:fs'
import { startBrokers } from './brokers.js'
import { prepareBench } from './prepare.js'
import { closeAudience, openAudience, startServers, trial, type ChannelTarget, type ChannelTrial } from './scenarios/channels.js'
import { spread } from './stats.js'

/**
 * Channels on three instances over one Redis, ours (the release build, rebuilt when stale) beside Socket.IO
 * rooms on @socket.io/redis-adapter and the floor (a bare ws + ioredis server routed per channel): 1,000 channels
 * × 10 subscribers, publishes to random channels at a fixed rate.
 * `node --import tsx bench/channels.ts [--out bench/CHANNELS.md]`; BENCH_RATE, BENCH_DURATION_MS, BENCH_TRIALS, BENCH_TARGETS.
 */
const CHANNELS = 1_000
const PER_CHANNEL = 10
const RATE = Number(process.env.BENCH_RATE ?? 500)
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 10_000)
const TRIALS = Number(process.env.BENCH_TRIALS ?? 5)
const TARGETS = (process.env.BENCH_TARGETS ?? 'ours-redis,sio-redis,bare-redis').split(',') as ChannelTarget[]
const out = process.argv.includes('--out') ? process.argv[process.argv.indexOf('--out') + 1] : undefined

const log = (line: string) => console.error(line)
prepareBench()
const brokers = await startBrokers()
const results = new Map<ChannelTarget, ChannelTrial[]>()
try {
  for (const target of TARGETS) {
    const servers = await startServers(target, brokers.redisUrl)
    try {
      const audience = await openAudience(servers, CHANNELS, PER_CHANNEL)
      log(`${target}: ${audience.connected} subscribers in ${audience.connectMs} ms`)
      try {
        // one second not kept: JIT and buffers
        await trial(audience, RATE, 1_000)
        const kept: ChannelTrial[] = []
        for (let i = 0; i < TRIALS; i++) {
          const result = await trial(audience, RATE, DURATION_MS)
          log(`  ${target} trial ${i + 1}: ${JSON.stringify({ ...result, cpuUsPerMsg: Number(result.cpuUsPerMsg.toFixed(2)) })}`)
          kept.push(result)
        }
        results.set(target, kept)
      } finally {
        await closeAudience(audience)
      }
    } finally {
      await servers.stop()
    }
  }
} finally {
  await brokers.stop()
}

const fmt = (n: number, digits = 2) => Number.isNaN(n) ? 'n/a' : n.toFixed(digits)
const ours = spread((results.get('ours-redis') ?? []).map((r) => r.cpuUsPerMsg))
const sio = spread((results.get('sio-redis') ?? []).map((r) => r.cpuUsPerMsg))
const bare = spread((results.get('bare-redis') ?? []).map((r) => r.cpuUsPerMsg))
const rows = TARGETS.map((target) => {
  const trials = results.get(target)!
  const cpu = spread(trials.map((r) => r.cpuUsPerMsg))
  const kernel = spread(trials.map((r) => r.systemShare * 100))
  const p50 = spread(trials.map((r) => r.p50))
  const p99 = spread(trials.map((r) => r.p99))
  const lost = trials.reduce((sum, r) => sum + r.lost, 0)
  const dup = trials.reduce((sum, r) => sum + r.duplicated, 0)
  const delivered = trials.reduce((sum, r) => sum + r.delivered, 0)
  const received = trials[0]!.received.map((_, i) => trials.reduce((sum, r) => sum + r.received[i]!, 0))
  const relevant = trials[0]!.relevant.map((_, i) => trials.reduce((sum, r) => sum + r.relevant[i]!, 0))
  const sent = trials.reduce((sum, r) => sum + r.sent, 0)
  return `| ${target} | ${fmt(cpu.median)} (${fmt(cpu.min)}–${fmt(cpu.max)}) | ${fmt(kernel.median, 0)} % | ${delivered} | ${lost} / ${dup} | ${fmt(p50.median / 1000, 1)} / ${fmt(p99.median / 1000, 1)} | ${received.map((n, i) => `${n} / ${relevant[i]}`).join(', ')} (of ${sent} sent) |`
})
const table = [
  `${CHANNELS} channels × ${PER_CHANNEL} subscribers on 3 instances (half the channels on one instance, half split over two), one publisher on instance 0,`,
  `${RATE} publishes/s to random channels, ${TRIALS} trials of ${DURATION_MS / 1000} s after a 1 s warm-up; servers and Redis pinned to core 0, load on core 1.`,
  '',
  '| target | server CPU µs per delivered message, median (range) | of it in the kernel | delivered | lost / duplicated | p50 / p99 ms | broker messages received per instance / publishes to channels it holds |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
  '',
  `CPU per delivered message, ours ÷ Socket.IO: **${fmt(ours.median / sio.median)}×** (target ≤ 0.6×).`,
  `The floor (bare-redis: plain ws + ioredis routed per channel, nothing else) ÷ Socket.IO: ${fmt(bare.median / sio.median)}×; ours ÷ the floor: ${fmt(ours.median / bare.median)}×.`
].join('\n')
console.log(table)
if (out !== undefined) writeFileSync(out, `# Channels benchmark\n\n\`npm run build && node --import tsx bench/channels.ts --out bench/CHANNELS.md\`, run on ${new Date().toISOString().slice(0, 10)}.\n\n${table}\n`)

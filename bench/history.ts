import { randomBytes } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { Redis } from 'ioredis'
import type { HistoryCommand, HistoryReply, StormSeat } from './load/history-messages.js'
import { Histogram, type HistogramData } from './load/histogram.js'
import { ForkedWorker } from './load/pool.js'
import { prepareBench } from './prepare.js'
import { cpuUs } from './procs.js'
import { closeAudience, INSTANCES, openAudience, startServers, trial, type Audience, type ChannelServers, type ChannelTrial } from './scenarios/channels.js'
import { settleLoad } from './settle.js'
import { sleep, spread, type Spread } from './stats.js'

/**
 * Channel history on three instances of the release build over the local Redis:
 * 1. server (and Redis) CPU per publish with history on and off, the same load, trials interleaved;
 * 2. recovery of 100 missed messages after a reconnect to another instance;
 * 3. a reconnect storm: every client drops, messages are published, every client comes back with `recover`.
 * `npm run build && node --import tsx bench/history.ts [--out bench/HISTORY.md] [--quick] [--settle-load 0]`;
 * BENCH_REDIS_URL (redis://127.0.0.1:6379/0).
 */
const QUICK = process.argv.includes('--quick')
const arg = (name: string) => process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined
const out = arg('--out')
const SETTLE_BELOW = Number(arg('--settle-load') ?? 1.5)
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/0'
const IDLE_MS = 5_000
const WORKER = fileURLToPath(new URL('./load/history-worker.ts', import.meta.url))

const PLAN = QUICK
  ? { cost: { channels: 200, perChannel: 3, rate: 200, durationMs: 3_000, trials: 2 }, recovery: { reps: 30, warmup: 5, missed: 100 }, storm: { clients: 600, channels: 60, perChannel: 10, spreadMs: 2_000, workers: 2 } }
  : { cost: { channels: 1_000, perChannel: 3, rate: 500, durationMs: 10_000, trials: 6 }, recovery: { reps: 200, warmup: 20, missed: 100 }, storm: { clients: 5_000, channels: 500, perChannel: 10, spreadMs: 10_000, workers: 4 } }
/** Size above the 100 recovered, so trimming never decides the outcome; the TTL lets every key go soon after the run. */
const HISTORY_ENV = { WS_HISTORY_SIZE: '200', WS_HISTORY_TTL_MS: '120000' }

type HistoryWorker = ForkedWorker<HistoryCommand, HistoryReply>
const log = (line: string) => console.error(line)
const fmt = (n: number, digits = 1) => Number.isNaN(n) ? 'n/a' : n.toFixed(digits)
const cell = (s: Spread, digits = 1) => `${fmt(s.median, digits)} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`
const ms = (us: number) => fmt(us / 1000, 2)

/** Per command: calls and µs Redis spent in it, from `INFO commandstats` (commands a script runs count too). */
async function commandStats (redis: Redis): Promise<Map<string, { calls: number, usec: number }>> {
  const stats = new Map<string, { calls: number, usec: number }>()
  for (const match of (await redis.info('commandstats')).matchAll(/^cmdstat_(\S+?):calls=(\d+),usec=(\d+)/gm)) {
    stats.set(match[1]!, { calls: Number(match[2]), usec: Number(match[3]) })
  }
  return stats
}

function statsDelta (before: Map<string, { calls: number, usec: number }>, after: Map<string, { calls: number, usec: number }>) {
  const delta = new Map<string, { calls: number, usec: number }>()
  for (const [name, now] of after) {
    const was = before.get(name) ?? { calls: 0, usec: 0 }
    if (now.calls > was.calls) delta.set(name, { calls: now.calls - was.calls, usec: now.usec - was.usec })
  }
  return delta
}

/** Cumulative `ws_rpc_duration_seconds` buckets of method="subscribe" on one instance, by upper bound in seconds. */
async function subscribeBuckets (port: number): Promise<Map<number, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()
  const buckets = new Map<number, number>()
  for (const line of text.split('\n')) {
    if (!line.startsWith('ws_rpc_duration_seconds_bucket{') || !line.includes('method="subscribe"')) continue
    const le = /le="([^"]+)"/.exec(line)![1]!
    buckets.set(le === '+Inf' ? Infinity : Number(le), Number(line.slice(line.lastIndexOf(' ') + 1)))
  }
  return buckets
}

/** The bucket bound (s) holding the q-quantile of the observations between two readings, and their count. */
function bucketQuantile (before: Map<number, number>, after: Map<number, number>, q: number): { bound: number, count: number } {
  const bounds = [...after.keys()].sort((a, b) => a - b)
  const count = (after.get(Infinity) ?? 0) - (before.get(Infinity) ?? 0)
  for (const bound of bounds) {
    if ((after.get(bound)! - (before.get(bound) ?? 0)) >= Math.ceil(q * count)) return { bound, count }
  }
  return { bound: NaN, count }
}

function sumBuckets (readings: Array<Map<number, number>>): Map<number, number> {
  const sum = new Map<number, number>()
  for (const reading of readings) for (const [bound, n] of reading) sum.set(bound, (sum.get(bound) ?? 0) + n)
  return sum
}

function histogramOf (parts: HistogramData[]): Histogram {
  const histogram = new Histogram()
  for (const part of parts) histogram.merge(part)
  return histogram
}

const started = Date.now()
const loadAtStart = QUICK || SETTLE_BELOW === 0 ? loadavg()[0]! : await settleLoad(SETTLE_BELOW, 15 * 60_000, log, 20_000)
log(`load average at start: ${loadAtStart.toFixed(2)}`)
prepareBench()
const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 })
await redis.connect()
const redisInfo = await redis.info('server')
const redisPid = Number(/^process_id:(\d+)/m.exec(redisInfo)?.[1])
const redisVersion = /^redis_version:(\S+)/m.exec(redisInfo)?.[1] ?? '?'
const redisCpu = () => { try { return cpuUs(redisPid) } catch { return NaN } }
const runPrefix = `bench.hist.${randomBytes(4).toString('hex')}`
log(`deployment prefix ${runPrefix}, redis ${redisVersion} pid ${redisPid}`)

interface CostTrial extends ChannelTrial { redisUs: number }
const costs: Record<'on' | 'off', CostTrial[]> = { on: [], off: [] }
const commands: Record<'on' | 'off', Map<string, { calls: number, usec: number }>> = { on: new Map(), off: new Map() }
let recoveryReply: Extract<HistoryReply, { type: 'recovery' }> | undefined
let storm: {
  connected: Extract<HistoryReply, { type: 'storm-connected' }>
  published: Extract<HistoryReply, { type: 'published' }>
  replies: Array<Extract<HistoryReply, { type: 'storm-reconnected' }>>
  byInstance: Array<{ bound: number, count: number }>
  all: { bound: number, count: number }
  redisUs: number
  commands: Map<string, { calls: number, usec: number }>
} | undefined
let idle: { serverUsPerS: number, redisUsPerS: number } | undefined

const servers: Record<'on' | 'off', ChannelServers | undefined> = { on: undefined, off: undefined }
const audiences: Audience[] = []
const workers: HistoryWorker[] = []
try {
  // 1. publish cost: both deployments up at once, each with its audience, trials alternating which goes first
  const { cost } = PLAN
  servers.on = await startServers('ours-redis', REDIS_URL, HISTORY_ENV, `${runPrefix}.on`)
  servers.off = await startServers('ours-redis', REDIS_URL, {}, `${runPrefix}.off`)
  const audience = { on: await openAudience(servers.on, cost.channels, cost.perChannel), off: await openAudience(servers.off, cost.channels, cost.perChannel) }
  audiences.push(audience.on, audience.off)
  log(`cost: ${audience.on.connected} + ${audience.off.connected} subscribers`)
  // what the six instances and Redis spend with nobody publishing: heartbeats, timers, Redis's own cron
  const pids = [...servers.on.procs, ...servers.off.procs].map((proc) => proc.pid)
  const idleBefore = { server: pids.reduce((n, pid) => n + cpuUs(pid), 0), redis: redisCpu() }
  await sleep(IDLE_MS)
  idle = { serverUsPerS: (pids.reduce((n, pid) => n + cpuUs(pid), 0) - idleBefore.server) / 2 / (IDLE_MS / 1000), redisUsPerS: (redisCpu() - idleBefore.redis) / (IDLE_MS / 1000) }
  // one second not kept on each: JIT and buffers
  await trial(audience.on, cost.rate, 1_000)
  await trial(audience.off, cost.rate, 1_000)
  for (let i = 0; i < cost.trials; i++) {
    for (const mode of (i % 2 === 0 ? ['on', 'off'] : ['off', 'on']) as Array<'on' | 'off'>) {
      const statsBefore = await commandStats(redis)
      const redisBefore = redisCpu()
      const result = await trial(audience[mode], cost.rate, cost.durationMs)
      const redisUs = redisCpu() - redisBefore
      for (const [name, d] of statsDelta(statsBefore, await commandStats(redis))) {
        const sum = commands[mode].get(name) ?? { calls: 0, usec: 0 }
        commands[mode].set(name, { calls: sum.calls + d.calls, usec: sum.usec + d.usec })
      }
      costs[mode].push({ ...result, redisUs })
      log(`  ${mode} trial ${i + 1}: ${fmt(result.cpuUs / result.sent)} µs/publish, ${fmt(result.cpuUsPerMsg)} µs/delivered, redis ${fmt(redisUs / result.sent)} µs/publish, lost ${result.lost}`)
    }
  }
  await Promise.all(audiences.splice(0).map(closeAudience))
  await servers.off.stop()
  servers.off = undefined

  // 2. recovery of 100 missed messages, one client at a time
  workers.push(...await Promise.all(Array.from({ length: PLAN.storm.workers }, () => ForkedWorker.start<HistoryCommand, HistoryReply>(WORKER, 300_000))))
  const { recovery } = PLAN
  recoveryReply = await workers[0]!.request({ type: 'recovery', urls: servers.on.urls, ...recovery, channelPrefix: 'rec', addressPrefix: '127.60' }, 'recovery')
  log(`recovery: p50 ${ms(histogramOf([recoveryReply.total]).quantile(0.5))} ms, ${recoveryReply.failed} failed ${recoveryReply.firstError}`)

  // 3. reconnect storm
  const s = PLAN.storm
  const seats: StormSeat[] = Array.from({ length: s.clients }, (_, index) => ({ index, channel: `storm${index % s.channels}`, first: index % INSTANCES, second: (index + 1) % INSTANCES }))
  const connected = await Promise.all(workers.map((worker, w) => worker.request({
    type: 'storm-connect', urls: servers.on!.urls, seats: seats.filter((seat) => seat.index % workers.length === w), addressPrefix: `127.${70 + w}`
  }, 'storm-connected')))
  const connectedSum = { type: 'storm-connected' as const, connected: 0, failed: 0, firstError: '', ms: Math.max(...connected.map((c) => c.ms)) }
  for (const c of connected) {
    connectedSum.connected += c.connected
    connectedSum.failed += c.failed
    if (connectedSum.firstError === '') connectedSum.firstError = c.firstError
  }
  log(`storm: ${connectedSum.connected} subscribed in ${connectedSum.ms} ms`)
  await Promise.all(workers.map((worker) => worker.request({ type: 'storm-drop' }, 'storm-dropped')))
  const tag = randomBytes(3).toString('hex')
  const channels = Array.from({ length: s.channels }, (_, k) => `storm${k}`)
  const published = await workers[0]!.request({ type: 'publish', urls: servers.on.urls, channels, perChannel: s.perChannel, tag, addressPrefix: '127.80' }, 'published')
  log(`storm: ${published.published} published in ${published.ms} ms (${published.failed} failed ${published.firstError})`)
  const ports = servers.on.procs.map((proc) => proc.port)
  const bucketsBefore = await Promise.all(ports.map(subscribeBuckets))
  const redisBefore = redisCpu()
  const stormStatsBefore = await commandStats(redis)
  const startAt = Date.now() + 500
  const replies = await Promise.all(workers.map((worker) => worker.request({ type: 'storm-reconnect', startAt, spreadMs: s.spreadMs, total: s.clients, missed: s.perChannel, tag }, 'storm-reconnected')))
  const redisUs = redisCpu() - redisBefore
  const stormCommands = statsDelta(stormStatsBefore, await commandStats(redis))
  const bucketsAfter = await Promise.all(ports.map(subscribeBuckets))
  storm = {
    connected: connectedSum,
    published,
    replies,
    byInstance: ports.map((_, i) => bucketQuantile(bucketsBefore[i]!, bucketsAfter[i]!, 0.99)),
    all: bucketQuantile(sumBuckets(bucketsBefore), sumBuckets(bucketsAfter), 0.99),
    redisUs,
    commands: stormCommands
  }
  log(`storm: ${replies.reduce((n, r) => n + r.exact, 0)} exact of ${s.clients}`)
} finally {
  await Promise.all(workers.map((worker) => worker.close()))
  await Promise.all(audiences.map(closeAudience))
  await servers.on?.stop()
  await servers.off?.stop()
  // this run's keys only; their TTL would take them within two minutes anyway
  let cursor = '0'
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${runPrefix}*`, 'COUNT', 1000)
    if (keys.length > 0) await redis.unlink(...keys)
    cursor = next
  } while (cursor !== '0')
  redis.disconnect()
}

// the report
const { cost, recovery, storm: s } = PLAN
const perPublish = (mode: 'on' | 'off') => spread(costs[mode].map((t) => t.cpuUs / t.sent))
const perDelivered = (mode: 'on' | 'off') => spread(costs[mode].map((t) => t.cpuUsPerMsg))
const redisPerPublish = (mode: 'on' | 'off') => spread(costs[mode].map((t) => t.redisUs / t.sent))
const pairRatios = spread(costs.on.map((t, i) => (t.cpuUs / t.sent) / (costs.off[i]!.cpuUs / costs.off[i]!.sent)))
const ratio = perPublish('on').median / perPublish('off').median
const redisRatio = redisPerPublish('on').median / redisPerPublish('off').median
const sent = (mode: 'on' | 'off') => costs[mode].reduce((n, t) => n + t.sent, 0)
const costRows = (['off', 'on'] as const).map((mode) => {
  const trials = costs[mode]
  return `| ${mode} | ${cell(perPublish(mode))} | ${cell(perDelivered(mode))} | ${cell(redisPerPublish(mode))} | ${trials.reduce((n, t) => n + t.delivered, 0)} | ${trials.reduce((n, t) => n + t.lost, 0)} / ${trials.reduce((n, t) => n + t.duplicated, 0)} | ${ms(spread(trials.map((t) => t.p50)).median)} / ${ms(spread(trials.map((t) => t.p99)).median)} |`
})
const commandNames = [...new Set([...commands.on.keys(), ...commands.off.keys()])]
  .filter((name) => (commands.on.get(name)?.calls ?? 0) / sent('on') >= 0.01 || (commands.off.get(name)?.calls ?? 0) / sent('off') >= 0.01)
  .sort((a, b) => (commands.on.get(b)?.usec ?? 0) - (commands.on.get(a)?.usec ?? 0))
const commandRows = commandNames.map((name) => {
  const on = commands.on.get(name) ?? { calls: 0, usec: 0 }
  const off = commands.off.get(name) ?? { calls: 0, usec: 0 }
  return `| ${name} | ${fmt(off.calls / sent('off'), 2)} | ${fmt(off.usec / sent('off'), 2)} | ${fmt(on.calls / sent('on'), 2)} | ${fmt(on.usec / sent('on'), 2)} |`
})
const recoveryTotal = histogramOf(recoveryReply ? [recoveryReply.total] : [])
const recoveryRtt = histogramOf(recoveryReply ? [recoveryReply.rtt] : [])
const stormTotal = histogramOf(storm?.replies.map((r) => r.total) ?? [])
const stormRtt = histogramOf(storm?.replies.map((r) => r.rtt) ?? [])
const stormSum = (field: 'exact' | 'notRecovered' | 'wrong' | 'failed') => storm?.replies.reduce((n, r) => n + r[field], 0) ?? NaN
const bound = (b: { bound: number, count: number }) => Number.isFinite(b.bound) ? `≤ ${fmt(b.bound * 1000, 2)} ms` : `> ${1000} ms`
const exact = stormSum('exact')
const loadAtEnd = loadavg()[0]!

const report = [
  '# History benchmark',
  '',
  `- Command: \`npm run build && node --import tsx bench/history.ts${QUICK ? ' --quick' : ''}${out ? ` --out ${out}` : ''}\` (\`npm run bench:history\`), wall time ${Math.round((Date.now() - started) / 1000)} s`,
  `- Date: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC; machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}`,
  `- Load average (1 min) at start ${loadAtStart.toFixed(2)}, at end ${loadAtEnd.toFixed(2)}${QUICK ? '; **quick run** (smaller sizes)' : ''}`,
  `- 3 instances of the release build (\`node dist/src/server.js\`) pinned to core 0, load workers on core 1; the local Redis ${redisVersion} (${REDIS_URL}, not pinned), deployment prefix \`${runPrefix}\`; history on: \`WS_HISTORY_SIZE=${HISTORY_ENV.WS_HISTORY_SIZE} WS_HISTORY_TTL_MS=${HISTORY_ENV.WS_HISTORY_TTL_MS}\``,
  '',
  '## 1. Publish cost, history on vs off',
  '',
  `${cost.channels.toLocaleString('en')} channels × ${cost.perChannel} subscribers over 3 instances (bench/scenarios/channels.ts layout), one publisher on instance 0 sending \`publish\` notifications at ${cost.rate}/s to random channels; ${cost.trials} trials of ${cost.durationMs / 1000} s per mode after a 1 s warm-up each, on and off alternating (both deployments up the whole time, each on its own prefix). Server CPU is the sum of the 3 instances' utime + stime from /proc over the trial and its drain; Redis CPU likewise from redis-server's pid (\`INFO server\` process_id ${redisPid}), so anything else using that Redis in the window counts too.`,
  '',
  '| history | server CPU µs per publish, median (range) | server CPU µs per delivered message | Redis CPU µs per publish | delivered | lost / duplicated | p50 / p99 ms |',
  '| --- | --- | --- | --- | --- | --- | --- |',
  ...costRows,
  '',
  `Server CPU per publish, on ÷ off: **${fmt(ratio, 2)}×** (target ≤ 1.5×: ${ratio <= 1.5 ? 'met' : '**missed**'}); per interleaved pair of trials ${fmt(pairRatios.min, 2)}–${fmt(pairRatios.max, 2)}×. Redis CPU per publish, on ÷ off: ${fmt(redisRatio, 2)}×.`,
  '',
  `Idle, for scale (${IDLE_MS / 1000} s with both audiences connected, nobody publishing): ${idle ? fmt(idle.serverUsPerS / 1000, 1) : 'n/a'} ms of CPU a second per deployment of 3 instances (about ${idle ? fmt(idle.serverUsPerS / cost.rate, 0) : 'n/a'} µs of each publish's figure at ${cost.rate}/s), Redis ${idle ? fmt(idle.redisUsPerS / 1000, 1) : 'n/a'} ms a second (about ${idle ? fmt(idle.redisUsPerS / cost.rate, 0) : 'n/a'} µs of each publish's).`,
  '',
  'Redis commands per publish over all trials of a mode (`INFO commandstats` deltas; the commands a script runs are counted on their own as well as inside `evalsha`\'s µs; ≥ 0.01 per publish shown):',
  '',
  '| command | off: calls | off: µs | on: calls | on: µs |',
  '| --- | --- | --- | --- | --- |',
  ...commandRows,
  '',
  `## 2. Recovery of ${recovery.missed} missed messages`,
  '',
  `A client subscribes on instance r mod 3 (a channel of its own each time, so the instance it comes back to does not hold it yet), drops its TCP connection, ${recovery.missed} messages are published from instance r + 2 (each acknowledged), then a new WebSocket to instance r + 1 subscribes with \`recover\`. ${recovery.reps} repetitions after ${recovery.warmup} not kept, one at a time.`,
  '',
  '| from | p50 ms | p99 ms | max ms |',
  '| --- | --- | --- | --- |',
  `| new WebSocket → answer with all ${recovery.missed} parsed | ${ms(recoveryTotal.quantile(0.5))} | ${ms(recoveryTotal.quantile(0.99))} | ${ms(recoveryTotal.max)} |`,
  `| subscribe sent → answer parsed (the round trip alone) | ${ms(recoveryRtt.quantile(0.5))} | ${ms(recoveryRtt.quantile(0.99))} | ${ms(recoveryRtt.max)} |`,
  '',
  `${recoveryTotal.total} recovered exactly, ${recoveryReply?.failed ?? 'n/a'} failed${recoveryReply?.firstError ? ` (${recoveryReply.firstError})` : ''}. Target p50 ≤ 5 ms: ${recoveryTotal.quantile(0.5) <= 5000 ? 'met' : '**missed**'}.`,
  '',
  '## 3. Reconnect storm',
  '',
  `${s.clients.toLocaleString('en')} clients in ${s.workers} forked load workers, client i on instance i mod 3 subscribed to channel i mod ${s.channels} (${s.clients / s.channels} per channel); all dropped, then ${s.perChannel} messages published to each channel (${storm?.published.published ?? 'n/a'} acknowledged in ${storm?.published.ms ?? 'n/a'} ms), then every client opened a new WebSocket to instance i + 1 and subscribed with \`recover\`, **spread evenly over ${s.spreadMs / 1000} s** (client i at i × ${fmt(s.spreadMs / s.clients, 2)} ms). The first subscribe took ${storm?.connected.ms ?? 'n/a'} ms for all ${storm?.connected.connected ?? 'n/a'} (${storm?.connected.failed ?? 'n/a'} failed).`,
  '',
  `- \`recovered: true\` with exactly the ${s.perChannel} missed messages, offsets in order: **${exact} of ${s.clients}** (recovered: false ${stormSum('notRecovered')}, other messages ${stormSum('wrong')}, failed ${stormSum('failed')}${storm?.replies.find((r) => r.firstError !== '')?.firstError ? `: ${storm.replies.find((r) => r.firstError !== '')!.firstError}` : ''})`,
  `- client side, new WebSocket → answer parsed: p50 ${ms(stormTotal.quantile(0.5))} ms, p99 ${ms(stormTotal.quantile(0.99))} ms, max ${ms(stormTotal.max)} ms; subscribe round trip alone: p50 ${ms(stormRtt.quantile(0.5))} ms, p99 ${ms(stormRtt.quantile(0.99))} ms`,
  `- server side, p99 of \`ws_rpc_duration_seconds{method="subscribe"}\` from bucket deltas: ${storm?.byInstance.map((b, i) => `instance ${i} ${bound(b)} (${b.count} subscribes)`).join(', ') ?? 'n/a'}; all together ${storm ? bound(storm.all) : 'n/a'}`,
  `- Redis commands per reconnect (\`INFO commandstats\`; \`evalsha\`'s µs include the commands its scripts run): ${storm ? [...storm.commands].filter(([, d]) => d.calls / s.clients >= 0.05).sort((a, b) => b[1].usec - a[1].usec).map(([name, d]) => `${name} ${fmt(d.calls / s.clients, 2)} (${fmt(d.usec / s.clients, 1)} µs)`).join(', ') : 'n/a'}`,
  `- last answer in hand ${storm ? Math.max(...storm.replies.map((r) => r.lastMs)) : 'n/a'} ms after the first reconnect; Redis CPU during the reconnects ${storm ? fmt(storm.redisUs / 1000, 0) : 'n/a'} ms`,
  '',
  '## Targets',
  '',
  '| target | measured | met |',
  '| --- | --- | --- |',
  `| server CPU per publish, history on ≤ 1.5× off | ${fmt(ratio, 2)}× | ${ratio <= 1.5 ? 'yes' : '**no**'} |`,
  `| recovery of ${recovery.missed} missed, p50 ≤ 5 ms | ${ms(recoveryTotal.quantile(0.5))} ms | ${recoveryTotal.quantile(0.5) <= 5000 ? 'yes' : '**no**'} |`,
  `| storm: every client recovers exactly | ${exact} of ${s.clients} | ${exact === s.clients ? 'yes' : '**no**'} |`,
  ''
].join('\n')
console.log(report)
if (out !== undefined) writeFileSync(out, report)

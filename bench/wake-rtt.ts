import { parseArgs } from 'node:util'
import { Redis } from 'ioredis'
import { connect } from 'nats'
import { nowUs } from './load/clock.js'
import { Histogram } from './load/histogram.js'
import { sleep } from './stats.js'

/**
 * `node --import tsx bench/wake-rtt.ts --broker redis --url redis://127.0.0.1:6379`: the broker client's round trip
 * (ioredis `PING`, nats.js `flush`) back to back, then with `--gap-ms` of sleep before each. The difference is what
 * a process that slept pays to wake; the cross-instance rows pay it twice more than the local one (docs/benchmarks.md).
 * Pin it and the broker with `taskset -c 0` to see the server core's figure.
 */
const { values: args } = parseArgs({
  options: {
    broker: { type: 'string', default: 'redis' },
    url: { type: 'string', default: 'redis://127.0.0.1:6379' },
    count: { type: 'string', default: '300' },
    'gap-ms': { type: 'string', default: '10' }
  }
})

async function roundTrip (): Promise<{ once: () => Promise<unknown>, close: () => Promise<unknown> }> {
  if (args.broker === 'nats') {
    const connection = await connect({ servers: args.url! })
    return { once: () => connection.flush(), close: () => connection.close() }
  }
  const redis = new Redis(args.url!)
  return { once: () => redis.ping(), close: () => redis.quit() }
}

async function sample (once: () => Promise<unknown>, count: number, gapMs: number): Promise<Histogram> {
  const histogram = new Histogram()
  for (let i = 0; i < count; i++) {
    if (gapMs > 0) await sleep(gapMs)
    const started = nowUs()
    await once()
    histogram.record(nowUs() - started)
  }
  return histogram
}

async function main () {
  const { once, close } = await roundTrip()
  await once()
  const count = Number(args.count)
  for (const gapMs of [0, Number(args['gap-ms'])]) {
    const histogram = await sample(once, count, gapMs)
    const at = (q: number) => histogram.quantile(q).toFixed(0)
    console.log(`${args.broker} round trip, ${gapMs} ms between: p50 ${at(0.5)} µs, p90 ${at(0.9)} µs (${count})`)
  }
  await close()
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

import { loadavg } from 'node:os'
import { sleep } from './stats.js'

const POLL_MS = 5_000

/**
 * Waits, at most `maxMs`, for the 1-minute load average to fall to `below`. A run started on a busy host (right
 * after `npm test`, say) reads every server slower, and ours, with more to do per request, by more (docs/benchmarks.md).
 * Returns the load average it starts at.
 */
export async function settleLoad (below: number, maxMs: number, log: (line: string) => void, pollMs = POLL_MS): Promise<number> {
  const deadline = Date.now() + maxMs
  let load = loadavg()[0]
  if (load > below) log(`load average ${load.toFixed(2)} > ${below}: waiting up to ${Math.round(maxMs / 1000)} s for it to settle`)
  while (load > below && Date.now() < deadline) {
    await sleep(pollMs)
    load = loadavg()[0]
  }
  if (load > below) log(`warning: load average still ${load.toFixed(2)}; starting anyway`)
  return load
}

import { Histogram } from '../load/histogram.js'
import { Group } from '../load/pool.js'
import { cpuUs } from '../procs.js'
import { sleep } from '../stats.js'
import type { Running } from '../targets.js'

/** One sender broadcasting to every receiver; the sender's own copy counts as a delivery too. */
export interface Audience {
  running: Running
  receivers: Group
  sender: Group
}

export interface TrialResult {
  rate: number
  sent: number
  expected: number
  delivered: number
  lost: number
  duplicated: number
  closed: number
  sendMs: number
  deliveredPerSec: number
  p50: number
  p99: number
  max: number
  /** p50 of receivers on other instances than the sender's, µs (NaN on one instance). */
  crossP50: number
  crossP99: number
  /** p50 of each instance's receivers, µs, in instance order (the sender's first). */
  instanceP50: number[]
  cpuUsPerMsg: number
  loadCpuPct: number
}

const PADDING = 32
let trialIds = 0

export async function openAudience (running: Running, receivers: number): Promise<Audience> {
  const receiverGroup = await Group.open(running.kind, running.urls, receivers)
  const sender = await Group.open(running.kind, running.urls.slice(0, 1), 1)
  if (receiverGroup.failed + sender.failed > 0) {
    await receiverGroup.close()
    await sender.close()
    throw new Error(`${running.name}: ${receiverGroup.failed} receivers failed to connect (${receiverGroup.firstError})`)
  }
  return { running, receivers: receiverGroup, sender }
}

export async function closeAudience (audience: Audience) {
  await audience.receivers.close()
  await audience.sender.close()
}

function loadCpu (audience: Audience) {
  return [...audience.receivers.workers, ...audience.sender.workers].reduce((sum, worker) => sum + cpuUs(worker.child.pid!), 0)
}

/** A `trial` after one second at the same rate that is not kept: JIT and buffers. */
export async function warmedTrial (audience: Audience, rate: number, durationMs: number): Promise<TrialResult> {
  await trial(audience, rate, 1_000)
  return trial(audience, rate, durationMs)
}

/** Sends at `rate` for `durationMs`, waits for the stragglers, and counts what arrived, when, and at what server CPU cost. */
export async function trial (audience: Audience, rate: number, durationMs: number): Promise<TrialResult> {
  const { running, receivers, sender } = audience
  const id = trialIds++
  await receivers.all({ type: 'arm', trial: id }, 'armed')
  await sender.all({ type: 'arm', trial: id }, 'armed')
  const pids = running.procs.map((proc) => proc.pid)
  const cpuBefore = pids.reduce((sum, pid) => sum + cpuUs(pid), 0)
  const loadBefore = loadCpu(audience)
  const wallBefore = performance.now()
  const [{ sent, ms: sendMs }] = await sender.all({ type: 'send', trial: id, rate, durationMs, padding: PADDING }, 'sent')
  const expected = sent * (receivers.connected + 1)
  // drain: stop once everything arrived, or nothing more came for a second, bounded at 10 s
  let last = -1
  let still = 0
  for (let waited = 0; waited < 10_000; waited += 100) {
    const progress = [...await receivers.all({ type: 'progress' }, 'progress'), ...await sender.all({ type: 'progress' }, 'progress')]
    const received = progress.reduce((sum, p) => sum + p.received, 0)
    if (received >= expected) break
    still = received === last ? still + 100 : 0
    if (still >= 1_000) break
    last = received
    await sleep(100)
  }
  const cpuAfter = pids.reduce((sum, pid) => sum + cpuUs(pid), 0)
  const loadAfter = loadCpu(audience)
  const wallMs = performance.now() - wallBefore
  const reports = [...await receivers.all({ type: 'report' }, 'report'), ...await sender.all({ type: 'report' }, 'report')]
  const all = new Histogram()
  const cross = new Histogram()
  const perInstance = running.urls.map(() => new Histogram())
  let received = 0
  let duplicated = 0
  let closed = 0
  for (const report of reports) {
    received += report.received
    duplicated += report.duplicated
    closed += report.closed
    report.histograms.forEach((data, instance) => {
      all.merge(data)
      perInstance[instance].merge(data)
      if (instance > 0) cross.merge(data)
    })
  }
  const delivered = received - duplicated
  return {
    rate,
    sent,
    expected,
    delivered,
    lost: expected - delivered,
    duplicated,
    closed,
    sendMs,
    deliveredPerSec: delivered * 1000 / sendMs,
    p50: all.quantile(0.5),
    p99: all.quantile(0.99),
    max: all.max,
    crossP50: cross.quantile(0.5),
    crossP99: cross.quantile(0.99),
    instanceP50: perInstance.map((histogram) => histogram.quantile(0.5)),
    cpuUsPerMsg: (cpuAfter - cpuBefore) / delivered,
    loadCpuPct: (loadAfter - loadBefore) / 10 / wallMs
  }
}

export const P99_LIMIT_US = 100_000

/** A rate passes when nothing was lost or doubled, p99 ≤ 100 ms, and the sender kept its schedule. */
export function passes (result: TrialResult, durationMs: number) {
  return result.lost === 0 && result.duplicated === 0 && result.closed === 0 &&
    result.p99 <= P99_LIMIT_US && result.sendMs <= durationMs * 1.1
}

/**
 * The highest loss-free rate with p99 ≤ 100 ms: doubles from `start` while rates pass, or halves while they fail
 * (down to start / 16), then bisects between the best pass and the lowest fail. Bounded to `maxTrials`
 * trials; returns the best passing rate, 0 when none passed.
 */
export async function searchMaxRate (audience: Audience, start: number, durationMs: number, maxTrials: number, log: (line: string) => void) {
  let pass = 0
  let fail = Infinity
  let rate = start
  for (let i = 0; i < maxTrials; i++) {
    const result = await trial(audience, rate, durationMs)
    const ok = passes(result, durationMs)
    log(`    ${rate} msg/s: ${ok ? 'pass' : 'fail'} (lost ${result.lost}, p99 ${(result.p99 / 1000).toFixed(1)} ms, send ${result.sendMs.toFixed(0)} ms, load-gen ${result.loadCpuPct.toFixed(0)}%)`)
    if (result.closed > 0) break
    if (ok) pass = Math.max(pass, rate)
    else fail = Math.min(fail, rate)
    if (fail === Infinity) {
      rate = rate * 2
    } else if (pass === 0) {
      if (rate <= start / 16) break
      rate = rate / 2
    } else if (fail / pass <= 1.15) {
      break
    } else {
      rate = Math.round((pass + fail) / 2 * 10) / 10
    }
    await sleep(300)
  }
  return pass
}

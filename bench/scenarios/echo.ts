import { Histogram } from '../load/histogram.js'
import { Group } from '../load/pool.js'
import { cpuUs } from '../procs.js'
import { sleep } from '../stats.js'
import { startTarget, type Brokers, type TargetName } from '../targets.js'

export interface EchoResult {
  reqPerSec: number
  p50: number
  p99: number
  cpuUsPerReq: number
  loadCpuPct: number
}

/** M clients in a closed loop: ours on `self.reply`, raw ws echoing the frame, Socket.IO acknowledging. */
export async function echo (name: TargetName, clients: number, durationMs: number, brokers: Brokers): Promise<EchoResult> {
  const running = await startTarget(name, 1, 'echo', brokers)
  let group: Group | undefined
  try {
    group = await Group.open(running.kind, running.urls, clients)
    if (group.failed > 0) throw new Error(`${name}: ${group.failed} echo clients failed (${group.firstError})`)
    await sleep(500)
    const pid = running.procs[0].pid
    const loadPid = group.workers[0].child.pid!
    const cpuBefore = cpuUs(pid)
    const loadBefore = cpuUs(loadPid)
    const wallBefore = performance.now()
    const [reply] = await group.all({ type: 'echo', durationMs, warmupMs: 1_000 }, 'echoed')
    const cpu = cpuUs(pid) - cpuBefore
    const load = cpuUs(loadPid) - loadBefore
    const histogram = new Histogram()
    histogram.merge(reply.histogram)
    return {
      reqPerSec: reply.requests * 1000 / reply.ms,
      p50: histogram.quantile(0.5),
      p99: histogram.quantile(0.99),
      cpuUsPerReq: cpu / reply.allRequests,
      loadCpuPct: load / 10 / (performance.now() - wallBefore)
    }
  } finally {
    await group?.close()
    await running.stop()
  }
}

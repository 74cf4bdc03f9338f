import { Histogram } from '../load/histogram.js'
import { Group } from '../load/pool.js'
import { cpuUs } from '../procs.js'
import { sleep } from '../stats.js'
import { startTarget, type Brokers, type Running, type TargetName } from '../targets.js'

export interface EchoResult {
  reqPerSec: number
  p50: number
  p99: number
  cpuUsPerReq: number
  loadCpuPct: number
}

export interface EchoPlan {
  clients: number
  slices: number
  sliceMs: number
  warmupMs: number
}

interface Open {
  running: Running
  group: Group
}

/**
 * M clients per server in a closed loop: ours on `self.reply`, raw ws echoing the frame, Socket.IO acknowledging.
 * Every server runs, its clients connected, for the whole round, and the loop moves from one server to the next in
 * short slices: this host's speed changes within seconds, and slices taken side by side share its state, where
 * trials of a few seconds one after the other did not (one server's trials moved 1.5× apart).
 */
export async function echoRound (names: TargetName[], plan: EchoPlan, brokers: Brokers, onSlice: (name: TargetName, r: EchoResult) => void) {
  const open: Open[] = []
  try {
    for (const name of names) {
      const running = await startTarget(name, 1, 'echo', brokers)
      const group = await Group.open(running.kind, running.urls, plan.clients).catch(async (err) => { await running.stop(); throw err })
      open.push({ running, group })
      if (group.failed > 0) throw new Error(`${name}: ${group.failed} echo clients failed (${group.firstError})`)
    }
    await sleep(500)
    // a first slice each, not kept: JIT and buffers
    for (const target of open) await slice(target, plan.sliceMs, plan.warmupMs)
    for (let s = 0; s < plan.slices; s++) {
      // each slice starts with another server, so none is always the one after a given other
      for (let i = 0; i < open.length; i++) {
        const target = open[(i + s) % open.length]
        onSlice(target.running.name, await slice(target, plan.sliceMs, plan.warmupMs))
      }
    }
  } finally {
    for (const { running, group } of open) {
      await group.close()
      await running.stop()
    }
  }
}

async function slice ({ running, group }: Open, durationMs: number, warmupMs: number): Promise<EchoResult> {
  const pid = running.procs[0].pid
  const loadPid = group.workers[0].child.pid!
  const cpuBefore = cpuUs(pid)
  const loadBefore = cpuUs(loadPid)
  const wallBefore = performance.now()
  const [reply] = await group.all({ type: 'echo', durationMs, warmupMs }, 'echoed')
  const cpu = cpuUs(pid) - cpuBefore
  const load = cpuUs(loadPid) - loadBefore
  const histogram = new Histogram()
  histogram.merge(reply.histogram)
  return {
    reqPerSec: reply.requests * 1000 / reply.ms,
    p50: histogram.quantile(0.5),
    p99: histogram.quantile(0.99),
    // warm-up requests included: the CPU figure covers the whole slice
    cpuUsPerReq: cpu / reply.allRequests,
    loadCpuPct: load / 10 / (performance.now() - wallBefore)
  }
}

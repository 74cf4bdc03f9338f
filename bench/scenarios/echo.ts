import { Histogram } from '../load/histogram.js'
import type { KeyOrder } from '../load/key-order.js'
import { Group } from '../load/pool.js'
import { cpuUs } from '../procs.js'
import { sleep } from '../stats.js'
import { speaksJsonRpc, startTarget, type Brokers, type Running, type TargetName } from '../targets.js'

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
  /** Every JSON-RPC server gets a slice in each of these request key orders. */
  orders: KeyOrder[]
}

interface Open {
  running: Running
  group: Group
  order: KeyOrder
}

/** What a table row is named: the target, and for a JSON-RPC server the key order its requests came in. */
export function seriesName (name: TargetName, order: KeyOrder): string {
  return speaksJsonRpc(name) ? `${name} ${order}` : name
}

/**
 * M clients per server in a closed loop: ours on `self.reply`, raw ws echoing the frame, Socket.IO acknowledging.
 * Every server runs, its clients connected, for the whole round, and the loop moves from one server to the next in
 * short slices: this host's speed changes within seconds, and slices taken side by side share its state, where
 * trials of a few seconds one after the other did not (one server's trials moved 1.5× apart).
 */
export async function echoRound (names: TargetName[], plan: EchoPlan, brokers: Brokers, onSlice: (series: string, r: EchoResult) => void) {
  const open: Open[] = []
  const started: Array<{ running: Running, group: Group }> = []
  try {
    for (const name of names) {
      const running = await startTarget(name, 1, 'echo', brokers)
      const group = await Group.open(running.kind, running.urls, plan.clients).catch(async (err) => { await running.stop(); throw err })
      started.push({ running, group })
      if (group.failed > 0) throw new Error(`${name}: ${group.failed} echo clients failed (${group.firstError})`)
      // one series per key order on the same server and clients: the orders share its state too
      for (const order of speaksJsonRpc(name) ? plan.orders : plan.orders.slice(0, 1)) open.push({ running, group, order })
    }
    await sleep(500)
    // a first slice each, not kept: JIT and buffers
    for (const target of open) await slice(target, plan.sliceMs, plan.warmupMs)
    for (let s = 0; s < plan.slices; s++) {
      // each slice starts with another series, so none is always the one after a given other
      for (let i = 0; i < open.length; i++) {
        const target = open[(i + s) % open.length]
        onSlice(seriesName(target.running.name, target.order), await slice(target, plan.sliceMs, plan.warmupMs))
      }
    }
  } finally {
    for (const { running, group } of started) {
      await group.close()
      await running.stop()
    }
  }
}

async function slice ({ running, group, order }: Open, durationMs: number, warmupMs: number): Promise<EchoResult> {
  const pid = running.procs[0].pid
  const loadPid = group.workers[0].child.pid!
  const cpuBefore = cpuUs(pid)
  const loadBefore = cpuUs(loadPid)
  const wallBefore = performance.now()
  const [reply] = await group.all({ type: 'echo', durationMs, warmupMs, order }, 'echoed')
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

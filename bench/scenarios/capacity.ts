import { Group } from '../load/pool.js'
import type { Proc } from '../procs.js'
import { sleep } from '../stats.js'
import { startTarget, type Brokers, type TargetName } from '../targets.js'

export interface CapacityResult {
  connected: number
  failed: number
  bytesPerConn: number
  heapPerConn: number
  connectPerSec: number
}

/** N idle connections spread over `instances` processes: RSS growth per connection and the connect rate. */
export async function capacity (name: TargetName, instances: number, count: number, brokers: Brokers): Promise<CapacityResult> {
  const running = await startTarget(name, instances, 'broadcast', brokers)
  let group: Group | undefined
  try {
    await sleep(1_000)
    const before = await memory(running.procs)
    group = await Group.open(running.kind, running.urls, count)
    await sleep(2_000)
    // collected first: what is left is what an idle connection holds
    const after = await memory(running.procs)
    if (group.failed > 0) console.error(`  ${name}: ${group.failed} connections failed (${group.firstError})`)
    return {
      connected: group.connected,
      failed: group.failed,
      bytesPerConn: (after.rss - before.rss) / group.connected,
      heapPerConn: (after.heap - before.heap) / group.connected,
      connectPerSec: group.connected * 1000 / group.connectMs
    }
  } finally {
    await group?.close()
    await running.stop()
  }
}

/** Summed over instances: RSS, and V8 heap plus off-heap buffers (what JS objects hold). */
async function memory (procs: Proc[]) {
  const usages = await Promise.all(procs.map((proc) => proc.memory()))
  return {
    rss: usages.reduce((sum, u) => sum + u.vmRss, 0),
    heap: usages.reduce((sum, u) => sum + u.heapUsed + u.external, 0)
  }
}

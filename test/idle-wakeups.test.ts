import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import { spawnServer } from './helpers/child.js'

/** How often the process's main thread has gone to sleep and been woken so far (Linux). */
function mainThreadWakeups (pid: number): number {
  const status = readFileSync(`/proc/${pid}/task/${pid}/status`, 'utf8')
  return Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)![1])
}

// Each wake-up of an idle instance costs CPU that thousands of idle sockets do not; prom-client's default 10 ms
// event-loop sampler alone would wake it 100 times a second (plugins/metrics.ts).
test('an idle instance wakes its event loop at most 30 times a second', async (t) => {
  const server = await spawnServer(t)
  const pid = server.proc.pid!
  await sleep(1_000)
  const before = mainThreadWakeups(pid)
  await sleep(2_000)
  const wakeups = mainThreadWakeups(pid) - before
  assert.ok(wakeups <= 60, `the main thread woke ${wakeups} times in 2 s`)
})

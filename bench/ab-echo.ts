import { execFileSync } from 'node:child_process'
import { parseArgs } from 'node:util'
import { parseKeyOrders, type KeyOrder } from './load/key-order.js'
import { Group } from './load/pool.js'
import { cpuUs, LOAD_CPU } from './procs.js'
import { prepareBench } from './prepare.js'
import { startTarget, type Running, type TargetName } from './targets.js'

/**
 * `node --import tsx bench/ab-echo.ts --targets ours,ours-b`: the echo loop on two servers at the same time, both on
 * the server core, and the ratio of their CPU time per request, for each request key order. Run one after the other,
 * two servers drift apart by ±15 % on a shared host; run together they share the drift, and a change of 1-2 % shows
 * (the same code against itself measures 0.99-1.01). For a change in another checkout use BENCH_B_ROOT (built),
 * behind a flag BENCH_B_ENV. `--targets ours,ws-json` compares ours with the plain JSON.parse + JSON.stringify peer.
 *   --targets ours,ours-b   --rounds 6   --clients 50 (per server)   --ms 5000   --orders id-last,id-first
 */
const { values: args } = parseArgs({
  options: {
    targets: { type: 'string', default: 'ours,ours-b' },
    rounds: { type: 'string', default: '6' },
    clients: { type: 'string', default: '50' },
    ms: { type: 'string', default: '5000' },
    orders: { type: 'string', default: 'id-last,id-first' }
  }
})
const [a, b] = args.targets!.split(',') as TargetName[]
const rounds = Number(args.rounds)
const clients = Number(args.clients)
const durationMs = Number(args.ms)
const orders = parseKeyOrders(args.orders!)

/** CPU µs per request of each server, by key order, both servers loaded at once in each order. */
async function round (first: TargetName, second: TargetName, shift: number): Promise<Map<KeyOrder, Record<string, number>>> {
  const running: Running[] = [await startTarget(first, 1, 'echo', { redisUrl: '', natsUrl: '' })]
  const out = new Map<KeyOrder, Record<string, number>>()
  try {
    running.push(await startTarget(second, 1, 'echo', { redisUrl: '', natsUrl: '' }))
    const groups = await Promise.all(running.map((run) => Group.open(run.kind, run.urls, clients)))
    try {
      await new Promise((resolve) => setTimeout(resolve, 500))
      // both servers through their JIT tiers before any order is measured, and the orders take turns going first
      await Promise.all(groups.map((group) => group.all({ type: 'echo', durationMs: 2_000, warmupMs: 0, order: orders[0] }, 'echoed')))
      for (const order of orders.map((_, i) => orders[(i + shift) % orders.length])) {
        const before = running.map((run) => cpuUs(run.procs[0].pid))
        const replies = await Promise.all(groups.map((group) => group.all({ type: 'echo', durationMs, warmupMs: 1_000, order }, 'echoed')))
        out.set(order, Object.fromEntries(running.map((run, i) => [run.name, (cpuUs(run.procs[0].pid) - before[i]) / replies[i][0].allRequests])))
      }
      return out
    } finally {
      for (const group of groups) await group.close()
    }
  } finally {
    for (const run of running) await run.stop()
  }
}

const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]

async function main () {
  prepareBench(process.env.BENCH_B_ROOT)
  execFileSync('taskset', ['-a', '-pc', LOAD_CPU, String(process.pid)], { stdio: 'ignore' })
  const ratios = new Map<KeyOrder, number[]>(orders.map((order) => [order, []]))
  for (let r = 0; r < rounds; r++) {
    // which one starts first alternates, so neither always gets the warmer start
    const byOrder = await round(r % 2 === 0 ? a : b, r % 2 === 0 ? b : a, Math.floor(r / 2))
    for (const [order, us] of byOrder) {
      ratios.get(order)!.push(us[a] / us[b])
      console.log(`round ${r + 1} ${order}: ${a} ${us[a].toFixed(2)} µs/req, ${b} ${us[b].toFixed(2)} µs/req, ${a}/${b} ${(us[a] / us[b]).toFixed(3)}`)
    }
  }
  for (const [order, values] of ratios) {
    console.log(`${order}: median ${a}/${b} CPU per request ${median(values).toFixed(3)} (${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}, ${rounds} rounds)`)
  }
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})

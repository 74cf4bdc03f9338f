import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { spawnServer } from './helpers/child.js'
import { connect } from './helpers/client.js'
import { fetchMetrics, metricValue, startServer } from './helpers/server.js'
import { Op, frame, openRaw, portOf, type RawSocket } from './security/raw-ws.js'

const MiB = 1024 * 1024
const TEXT = 'x'.repeat(60_000)
/** One masked `self.reply` frame with a 60 kB answer, built once and written again and again. */
const BIG_REQUEST = frame(Op.Text, JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'self.reply', params: { text: TEXT } }))

async function rssBytes (pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8')
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024
}

/** Polls `/metrics` until `series` holds still for three reads 50 ms apart; there is no event for "nothing more". */
async function settledMetric (http: string, series: string, deadlineMs = 10_000): Promise<number> {
  const deadline = Date.now() + deadlineMs
  let last = -1
  let same = 0
  while (Date.now() < deadline) {
    const value = metricValue(await fetchMetrics(http), series) ?? 0
    same = value === last ? same + 1 : 0
    if (same === 3) return value
    last = value
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`${series} did not settle within ${deadlineMs} ms (last ${last})`)
}

/** Reads a raw client's frames until the answer with `id` ('answered'), its close code, or the end of the connection. */
async function outcome (raw: RawSocket, id: string): Promise<'answered' | number | 'ended'> {
  for (;;) {
    const next = await raw.next()
    if (next === undefined) return 'ended'
    if (next.opcode === Op.Close) return next.payload.readUInt16BE(0)
    if (next.opcode === Op.Text && next.payload.includes(`"id":"${id}"`)) return 'answered'
  }
}

for (const fastPath of [true, false]) {
  test(`a client that sends requests and never reads is not read further, and is served again once it reads (fast path ${fastPath})`, async (t) => {
    const { url, http } = await startServer(t, { WS_FAST_PATH: fastPath, WS_MAX_BUFFERED_BYTES: 2 * MiB })
    const raw = await openRaw(t, portOf(url))
    raw.socket.pause()
    const sent = 400
    // 24 MB of requests, more than the loopback buffers hold in both directions
    for (let i = 0; i < sent; i++) raw.write(BIG_REQUEST)
    const run = await settledMetric(http, 'ws_messages_received_total')
    t.diagnostic(`requests run while the client did not read: ${run} of ${sent}`)
    assert.ok(run < sent / 2, `the server ran ${run} of ${sent} requests for a client that read nothing`)
    assert.ok((metricValue(await fetchMetrics(http), 'ws_read_pauses_total') ?? 0) >= 1)

    // once it reads, every request is run and answered: the client was slowed, never cut off
    raw.write(frame(Op.Text, JSON.stringify({ jsonrpc: '2.0', id: 'last', method: 'self.reply', params: { text: 'done' } })))
    raw.socket.resume()
    let replies = 0
    for (;;) {
      const next = await raw.next()
      assert.ok(next !== undefined, `connection ended after ${replies} replies`)
      assert.equal(next.opcode, Op.Text, `frame ${replies + 1} has opcode ${next.opcode}`)
      if (next.payload.includes('"id":"last"')) break
      replies++
    }
    assert.equal(replies, sent)
    assert.equal(metricValue(await fetchMetrics(http), 'ws_slow_consumer_disconnects_total'), 0)
    raw.socket.destroy()
  })
}

test('past WS_MAX_TOTAL_BUFFERED_BYTES the largest consumers are closed with 4008, memory stays bounded, readers are served', async (t) => {
  const budget = 8 * MiB
  // V8's young generation as Node 20 sizes it: Node 24 lets it grow to about 3× under this load (RSS +64–76 MiB
  // against +25–31), which is heap the budget does not govern and would hide what it does
  const server = await spawnServer(t, { WS_MAX_TOTAL_BUFFERED_BYTES: String(budget), WS_MAX_BUFFERED_BYTES: String(2 * MiB), NODE_OPTIONS: '--max-semi-space-size=16' })
  const pid = server.proc.pid!
  const reader = await connect(t, server.url)
  // warm the paths the load takes, so the baseline already holds their code and heap
  for (let i = 0; i < 20; i++) assert.equal((await reader.call('self.reply', { text: TEXT }, i)).result.text.length, TEXT.length)
  const baseline = await rssBytes(pid)

  const hogs = await Promise.all(Array.from({ length: 12 }, () => openRaw(t, server.port)))
  const small = await Promise.all(Array.from({ length: 4 }, () => openRaw(t, server.port)))
  for (const raw of [...hogs, ...small]) raw.socket.pause()
  let peak = baseline
  const sampling = { isOn: true }
  const sampler = (async () => {
    while (sampling.isOn) {
      peak = Math.max(peak, await rssBytes(pid))
      await new Promise((resolve) => setTimeout(resolve, 10))
    }
  })()
  // 6 MB each, past the loopback buffers: without a budget, each holds up to WS_MAX_BUFFERED_BYTES (2 MiB)
  for (let i = 0; i < 100; i++) for (const raw of hogs) raw.write(BIG_REQUEST)
  // a few answers each: the loopback buffers hold them, the server's own buffers stay near empty
  for (let i = 0; i < 4; i++) for (const raw of small) raw.write(BIG_REQUEST)
  await settledMetric(server.http, 'ws_messages_received_total')
  sampling.isOn = false
  await sampler
  const closedByBudget = metricValue(await fetchMetrics(server.http), 'ws_buffer_budget_disconnects_total')

  // the reader never noticed
  assert.deepEqual(await reader.call('self.reply', { text: 'still here' }, 'after'), { jsonrpc: '2.0', id: 'after', result: { text: 'still here' } })

  // every client reads again: a closed one finds 4008 after its backlog, an open one gets its answer
  const outcomes = await Promise.all([...hogs, ...small].map(async (raw, i) => {
    raw.write(frame(Op.Text, JSON.stringify({ jsonrpc: '2.0', id: `probe-${i}`, method: 'self.reply', params: { text: 'probe' } })))
    raw.socket.resume()
    const result = await outcome(raw, `probe-${i}`)
    raw.socket.destroy()
    return result
  }))
  const growth = peak - baseline
  t.diagnostic(`RSS baseline ${(baseline / MiB).toFixed(1)} MiB, peak ${(peak / MiB).toFixed(1)} MiB, growth ${(growth / MiB).toFixed(1)} MiB; closed by the budget: ${closedByBudget}; outcomes ${JSON.stringify(outcomes)}`)

  // the non-readers with little backlog were never the largest: all are still served
  assert.deepEqual(outcomes.slice(hogs.length), ['answered', 'answered', 'answered', 'answered'])
  const cut = outcomes.slice(0, hogs.length).filter((ending) => ending !== 'answered')
  assert.ok(closedByBudget !== undefined && closedByBudget >= 1, `closed by the budget: ${closedByBudget}`)
  // each was sent 4008 behind its backlog; one whose backlog did not fit the closing allowance was destroyed at once
  assert.equal(cut.length, closedByBudget)
  for (const ending of cut) assert.ok(ending === 4008 || ending === 'ended', `a hog ended with ${ending}`)
  // the budget, a quarter more for backlogs being closed, and 48 MiB for the heap that parsing 70 MB of requests grows
  assert.ok(growth <= budget * 1.25 + 48 * MiB, `RSS grew by ${(growth / MiB).toFixed(1)} MiB`)
})

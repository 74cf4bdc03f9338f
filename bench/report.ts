import type { Results } from './results.js'
import type { Spread } from './stats.js'

export interface RunInfo {
  command: string
  reps: number
  quick: boolean
  wallSeconds: number
  machine: string
  date: string
  loadBefore: number
  netdevBacklog: number
  loadAfter: number
  plan: any
}

function num (value: number, digits: number) {
  if (Number.isNaN(value)) return 'n/a'
  if (!Number.isFinite(value)) return '∞'
  return value.toFixed(digits)
}

/** "median (min–max)", scaled. */
function cell (s: Spread, scale = 1, digits = 1) {
  if (Number.isNaN(s.median)) return 'n/a'
  if (s.min === s.max) return num(s.median / scale, digits)
  return `${num(s.median / scale, digits)} (${num(s.min / scale, digits)}–${num(s.max / scale, digits)})`
}

/** Median p50 of each instance's receivers, "sender's / 2nd / 3rd"; blank on one instance. */
function byInstanceCell (results: Results, scenario: string, target: string) {
  const medians = [0, 1, 2].map((i) => results.median(scenario, target, `p50Instance${i}`)).filter((us) => !Number.isNaN(us))
  return medians.length > 1 ? medians.map((us) => num(us / 1000, 2)).join(' / ') : ''
}

/** A ratio over a raw `ws` figure of 0 (no loss-free rate found) says nothing, so it reads n/a. */
function ratio (value: number) {
  if (Number.isNaN(value) || !Number.isFinite(value)) return 'n/a'
  return `${value.toFixed(2)}×`
}

function table (header: string[], rows: string[][]) {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n')
}

const LABEL: Record<string, string> = {
  ws: 'raw ws',
  ours: 'ours (local)',
  'ours-redis': 'ours (redis)',
  'ours-nats': 'ours (nats)',
  'ours-redis-streams': 'ours (redis-streams)',
  sio: 'Socket.IO',
  'sio-redis': 'Socket.IO (redis-adapter)'
}

/** A target, or an echo series: a target and the key order of its requests (`ours id-last`). */
function label (series: string) {
  const [target, order] = series.split(' ')
  const name = target === 'ws-json' ? 'ws + JSON.parse/stringify' : LABEL[target] ?? target
  return order === undefined ? name : `${name}, ${order}`
}

/** An echo series over the JSON-RPC peer's series in the same key order; blank for a series without one. */
function jsonRatio (results: Results, series: string, field: string) {
  const order = series.split(' ')[1]
  if (order === undefined) return ''
  return ratio(results.median('echo', series, field) / results.median('echo', `ws-json ${order}`, field))
}

export function renderReport (results: Results, info: RunInfo): string {
  const out: string[] = []
  out.push('# Benchmark results', '')
  out.push(`- Command: \`${info.command}\` (wall time ${Math.round(info.wallSeconds)} s)`)
  out.push(`- Date: ${info.date}`)
  out.push(`- Machine: ${info.machine}; servers and brokers pinned to CPU 0, load generator to CPU 1 (\`taskset\`)`)
  out.push(`- \`net.core.netdev_max_backlog\` = ${info.netdevBacklog}`)
  out.push(`- Load average (1 min) at start ${info.loadBefore.toFixed(2)}, at end ${info.loadAfter.toFixed(2)}`)
  out.push(`- Figures: median of ${info.reps} repetition(s) with (min–max); ratios are medians over the raw \`ws\` peer's in the same run${info.quick ? '; **quick run** (smaller N, shorter trials)' : ''}`)
  out.push('')

  for (const { instances, count } of info.plan.capacity) {
    const scenario = `capacity/${instances}/${count}`
    if (!results.has(scenario)) continue
    out.push(`## Capacity: ${count.toLocaleString('en')} idle connections on ${instances} instance(s)`, '')
    out.push(table(['server', 'connected', 'RSS KiB/conn', '× ws', 'JS heap+external KiB/conn', '× ws', 'connect/s', '× ws'], results.targets(scenario).map((t) => [
      label(t),
      cell(results.get(scenario, t, 'connected'), 1, 0),
      cell(results.get(scenario, t, 'bytesPerConn'), 1024, 2),
      ratio(results.ratio(scenario, t, 'bytesPerConn')),
      cell(results.get(scenario, t, 'heapPerConn'), 1024, 2),
      ratio(results.ratio(scenario, t, 'heapPerConn')),
      cell(results.get(scenario, t, 'connectPerSec'), 1, 0),
      ratio(results.ratio(scenario, t, 'connectPerSec'))
    ])), '')
  }

  for (const { receivers, rate } of info.plan.fanout) {
    const scenario = `fanout/${receivers}`
    if (!results.has(scenario)) continue
    out.push(`## Fan-out: 1 sender → ${receivers.toLocaleString('en')} receivers (+ the sender's own copy), ${rate} msg/s for ${info.plan.fixedMs / 1000} s`, '')
    out.push(table(['server', 'delivered msg/s', 'p50 ms', 'p99 ms', 'max ms', 'lost', 'dup', 'server CPU µs/delivered msg', '× ws', 'load-gen CPU %'], results.targets(scenario).map((t) => [
      label(t),
      cell(results.get(scenario, t, 'deliveredPerSec'), 1, 0),
      cell(results.get(scenario, t, 'p50'), 1000, 2),
      cell(results.get(scenario, t, 'p99'), 1000, 2),
      cell(results.get(scenario, t, 'max'), 1000, 1),
      cell(results.get(scenario, t, 'lost'), 1, 0),
      cell(results.get(scenario, t, 'duplicated'), 1, 0),
      cell(results.get(scenario, t, 'cpuUsPerMsg'), 1, 3),
      ratio(results.ratio(scenario, t, 'cpuUsPerMsg')),
      cell(results.get(scenario, t, 'loadCpuPct'), 1, 0)
    ])), '')
    const maxScenario = `fanout-max/${receivers}`
    if (results.has(maxScenario)) {
      out.push(`Highest loss-free rate with p99 ≤ 100 ms (search: doubling then bisecting, ${info.plan.searchMs / 1000} s trials, ≤ ${info.plan.searchTrials} trials):`, '')
      out.push(table(['server', 'max msg/s', 'deliveries/s', '× ws'], results.targets(maxScenario).map((t) => [
        label(t),
        // the search goes below 1 msg/s at N = 10,000
        cell(results.get(maxScenario, t, 'maxRate'), 1, 1),
        cell(results.get(maxScenario, t, 'maxDelivered'), 1, 0),
        ratio(results.ratio(maxScenario, t, 'maxRate'))
      ])), '')
    }
  }

  if (results.has('echo')) {
    const e = info.plan.echo
    out.push(`## Echo: ${e.clients} clients in a closed loop (ours: \`self.reply\`; raw ws: echo; ws + JSON.parse/stringify: the same request answered the plain way; Socket.IO: ack)`, '')
    out.push(`Medians of ${e.slices * info.reps} slices of ${e.sliceMs / 1000} s (after ${e.warmupMs} ms of warm-up each), ${e.slices} a repetition: every server running with its clients connected, the loop moving from one to the next. JSON-RPC servers get a series per request key order (bench/load/key-order.ts): ${e.orders.join(', ')}.`, '')
    out.push(table(['server', 'req/s', '× ws', 'p50 ms', 'p99 ms', 'server CPU µs/req', '× ws', '× ws-json', 'load-gen CPU %'], results.targets('echo').map((t) => [
      label(t),
      cell(results.get('echo', t, 'reqPerSec'), 1, 0),
      ratio(results.ratio('echo', t, 'reqPerSec')),
      cell(results.get('echo', t, 'p50'), 1000, 2),
      cell(results.get('echo', t, 'p99'), 1000, 2),
      cell(results.get('echo', t, 'cpuUsPerReq'), 1, 2),
      ratio(results.ratio('echo', t, 'cpuUsPerReq')),
      jsonRatio(results, t, 'cpuUsPerReq'),
      cell(results.get('echo', t, 'loadCpuPct'), 1, 0)
    ])), '')
  }

  if (results.has('cluster')) {
    const c = info.plan.cluster
    out.push(`## Cluster: ${c.receivers.toLocaleString('en')} receivers spread over the instances, sender on the first, ${c.rate} msg/s for ${c.durationMs / 1000} s`, '')
    out.push('"cross" counts only receivers on the other two instances; "added" is cross p50 minus the single-instance p50 of the same server (ours local, or Socket.IO without adapter). CPU sums every instance (brokers not included).', '')
    out.push('"by instance" is the p50 of each instance\'s receivers, the sender\'s instance first: the instances and the broker share CPU 0, so these follow the order in which the kernel runs the three fan-outs.', '')
    out.push(clusterTable(results, 'cluster'), '')
  }
  if (results.has('cluster-hop')) {
    const h = info.plan.clusterHop
    out.push(`## Cluster, the broker hop: ${h.receivers} receivers spread over the instances, sender on the first, ${h.rate} msg/s for ${h.durationMs / 1000} s`, '')
    out.push(`The same servers and columns with a light audience: a fan-out to ${h.receivers / 3} receivers takes microseconds, so "added" is the time the broker path adds to a message, not which of three fan-outs sharing one core ran first.`, '')
    out.push(clusterTable(results, 'cluster-hop'), '')
    if (results.has('broker-hop')) {
      out.push(`For scale, the bare client's hop (bench/peers/broker-hop.ts): a publisher and two subscriber processes on the server core beside the broker, ioredis and nats.js with nothing of ours, ${h.rate} msg/s for ${h.durationMs / 1000} s; "age" is send to arrival.`, '')
      out.push(table(['broker', 'p50 age ms', 'p99 age ms', 'lost'], results.targets('broker-hop').map((b) => [
        b === 'redis' ? 'Redis (ioredis)' : 'NATS (nats.js)',
        cell(results.get('broker-hop', b, 'p50'), 1000, 2),
        cell(results.get('broker-hop', b, 'p99'), 1000, 2),
        cell(results.get('broker-hop', b, 'lost'), 1, 0)
      ])), '')
    }
  }

  out.push('## Targets', '')
  out.push(table(['target', 'measured', 'met'], targetRows(results, info)), '')
  if (results.notes.length > 0) out.push('## Notes', '', ...results.notes.map((n) => `- ${n}`), '')
  return out.join('\n')
}

function clusterTable (results: Results, scenario: string): string {
  const local = results.median(scenario, 'ours', 'p50')
  const sioLocal = results.median(scenario, 'sio', 'p50')
  return table(['server', 'p50 ms (all)', 'p50 ms (cross)', 'added p50 ms', 'p50 ms by instance', 'p99 ms (cross)', 'lost', 'dup', 'server CPU µs/delivered msg', 'lost at local max rate'], results.targets(scenario).map((t) => [
    label(t),
    cell(results.get(scenario, t, 'p50'), 1000, 2),
    cell(results.get(scenario, t, 'crossP50'), 1000, 2),
    t.endsWith('-redis') || t.endsWith('-nats') || t.endsWith('-streams')
      ? num((results.median(scenario, t, 'crossP50') - (t.startsWith('sio') ? sioLocal : local)) / 1000, 2)
      : '',
    byInstanceCell(results, scenario, t),
    cell(results.get(scenario, t, 'crossP99'), 1000, 2),
    cell(results.get(scenario, t, 'lost'), 1, 0),
    cell(results.get(scenario, t, 'duplicated'), 1, 0),
    cell(results.get(scenario, t, 'cpuUsPerMsg'), 1, 3),
    scenario === 'cluster' && results.has('cluster-at-local-max') && results.targets('cluster-at-local-max').includes(t)
      ? `${cell(results.get('cluster-at-local-max', t, 'lostAtMax'), 1, 0)} at ${num(results.median('cluster-at-local-max', t, 'rate'), 0)} msg/s`
      : ''
  ]))
}

function targetRows (results: Results, info: RunInfo): string[][] {
  const rows: string[][] = []
  const check = (name: string, value: number, ok: (v: number) => boolean, shown: string) => {
    if (Number.isNaN(value)) return
    rows.push([name, shown, ok(value) ? 'yes' : '**no**'])
  }
  for (const { instances, count } of info.plan.capacity) {
    const r = results.ratio(`capacity/${instances}/${count}`, 'ours', 'bytesPerConn')
    check(`bytes/idle conn ≤ 1.25× ws (${count} on ${instances})`, r, (v) => v <= 1.25, ratio(r))
  }
  for (const { receivers } of info.plan.fanout) {
    const cpu = results.ratio(`fanout/${receivers}`, 'ours', 'cpuUsPerMsg')
    check(`server CPU/delivered msg ≤ 1.1× ws (N=${receivers})`, cpu, (v) => v <= 1.1, ratio(cpu))
    const oursMax = results.median(`fanout-max/${receivers}`, 'ours', 'maxRate')
    const wsMax = results.median(`fanout-max/${receivers}`, 'ws', 'maxRate')
    check(`max loss-free rate ≥ 1× ws (N=${receivers})`, oursMax - wsMax, (v) => v >= 0,
      `${num(oursMax, 1)} vs ${num(wsMax, 1)} msg/s (${ratio(oursMax / wsMax)})`)
  }
  for (const order of info.plan.echo.orders as string[]) {
    const echoCpu = results.median('echo', `ours ${order}`, 'cpuUsPerReq') / results.median('echo', `ws-json ${order}`, 'cpuUsPerReq')
    check(`echo server CPU/request ≤ 1.3× ws-json (${order})`, echoCpu, (v) => v <= 1.3, ratio(echoCpu))
    const echoRate = results.ratio('echo', `ours ${order}`, 'reqPerSec')
    check(`echo req/s ≥ 0.9× ws (${order})`, echoRate, (v) => v >= 0.9, ratio(echoRate))
  }
  for (const t of ['ours-redis', 'ours-nats']) {
    for (const [scenario, audience] of [['cluster-hop', info.plan.clusterHop.receivers], ['cluster', info.plan.cluster.receivers]] as const) {
      const added = results.median(scenario, t, 'crossP50') - results.median(scenario, 'ours', 'p50')
      check(`${t.slice(5)}: cross-instance p50 ≤ local + 1 ms (${audience.toLocaleString('en')} receivers)`, added, (v) => v <= 1000, `${added >= 0 ? '+' : ''}${num(added / 1000, 2)} ms`)
    }
    const lost = results.get('cluster-at-local-max', t, 'lostAtMax').max
    check(`${t.slice(5)}: no loss at the local adapter's max rate`, lost, (v) => v === 0, `${num(lost, 0)} lost (worst rep)`)
  }
  return rows
}

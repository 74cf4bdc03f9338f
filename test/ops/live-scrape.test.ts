import assert from 'node:assert/strict'
import { test } from 'node:test'
import { DROPPED_METRICS } from '../../plugins/metrics.js'
import { connect } from '../helpers/client.js'
import { spawnCluster } from '../helpers/cluster.js'
import { ALERTS, dashboardExprs, metricNames, ruleExprs } from '../helpers/promql.js'
import { startPrometheus, type Prometheus } from '../helpers/prometheus.js'

const DEADLINE_MS = 15_000
// scrapes of every target to wait for: about ten seconds at one a second, enough for a rate over [1m]
const SCRAPES = 10

/** Calls `probe` every 200 ms until `done` accepts its result; the poll is the event wait, the deadline bounds it. */
async function until<T> (what: string, probe: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  const started = Date.now()
  for (;;) {
    const value = await probe()
    if (done(value)) return value
    if (Date.now() - started > DEADLINE_MS) throw new Error(`${what}: not within ${DEADLINE_MS} ms, last ${JSON.stringify(value)}`)
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

async function instantQuery (prometheus: Prometheus, query: string): Promise<Array<{ metric: Record<string, string>, value: [number, string] }>> {
  const data = await prometheus.api<{ resultType: string, result: any }>('query', { query })
  return data.resultType === 'vector' ? data.result : [{ metric: {}, value: data.result }]
}

test('Prometheus scrapes three live instances, and every dashboard query and alert rule evaluates over series they export', { timeout: 60_000 }, async (t) => {
  const servers = await spawnCluster(t, 3, {})
  const prometheus = await startPrometheus(t, `
global:
  scrape_interval: 1s
  scrape_timeout: 900ms
  evaluation_interval: 1s
rule_files:
  - ${ALERTS}
scrape_configs:
  - job_name: fastify-ws-hub
    static_configs:
      - targets: [${servers.map((server) => `'127.0.0.1:${server.port}'`).join(', ')}]
`)
  if (prometheus === undefined) return

  const targets = await until('all three targets up', () => prometheus.api('targets', { state: 'active' }),
    (data) => data.activeTargets.length === 3 && data.activeTargets.every((target: { health: string }) => target.health === 'up'))
  t.diagnostic(`targets up: ${targets.activeTargets.map((target: { scrapeUrl: string }) => target.scrapeUrl).join(', ')}`)

  // a little traffic on every instance: calls, a channel, a broadcast, and one error
  for (const [i, server] of servers.entries()) {
    const alice = await connect(t, server.url)
    const bob = await connect(t, server.url)
    assert.deepEqual(await alice.call('self.reply', { text: `hi ${i}` }), { jsonrpc: '2.0', id: 1, result: { text: `hi ${i}` } })
    assert.equal((await bob.call('subscribe', { channel: 'news' }, 2)).id, 2)
    bob.send({ jsonrpc: '2.0', id: 3, method: 'broadcast', params: { text: 'all' } })
    const frames = [await bob.next(), await bob.next(), await alice.next()]
    assert.deepEqual(frames.filter((frame) => frame.id === 3), [{ jsonrpc: '2.0', id: 3, result: { published: true } }])
    if (i === 0) assert.equal((await alice.call('no.such.method', {}, 4)).error.code, -32601)
  }

  // every target scraped SCRAPES times since it came up: enough samples for rate() and increase() over [1m]
  await until(`${SCRAPES} scrapes of each target`, () => instantQuery(prometheus, 'min(count_over_time(up{job="fastify-ws-hub"}[1m]))'),
    (result) => Number(result[0]?.value[1] ?? 0) >= SCRAPES)

  const exported = new Set(await prometheus.api<string[]>('label/__name__/values'))
  for (const name of ['ws_connections', 'ws_rpc_errors_total', 'ws_max_connections', 'nodejs_eventloop_lag_p99_seconds']) assert.ok(exported.has(name), `${name} is scraped`)
  for (const name of DROPPED_METRICS) assert.ok(!exported.has(name), `${name} is not exported`)
  const rules = ruleExprs()
  // `up` comes from Prometheus itself, recording rules from alerts.yml
  const known = new Set([...exported, 'up', ...rules.filter((rule) => rule.isRecording).map((rule) => rule.name)])

  const exprs = [
    ...dashboardExprs().map(({ panel, expr }) => ({ source: `dashboard panel "${panel}"`, expr })),
    ...rules.map(({ name, expr }) => ({ source: `rule ${name}`, expr }))
  ]
  const failures: string[] = []
  let withData = 0
  for (const { source, expr } of exprs) {
    const unknown = metricNames(expr).filter((name) => !known.has(name))
    if (unknown.length > 0) failures.push(`${source} names ${unknown.join(', ')}, which no instance exports`)
    try {
      if ((await instantQuery(prometheus, expr)).length > 0) withData++
    } catch (err) {
      failures.push(`${source}: ${(err as Error).message}`)
    }
  }
  t.diagnostic(`evaluated ${exprs.length} expressions (${dashboardExprs().length} dashboard, ${rules.length} rules), ${withData} returned series`)
  assert.deepEqual(failures, [])

  // the panels show the traffic: two clients on each instance, one -32601
  const errorsByCode = await instantQuery(prometheus, 'sum by (code) (increase(ws_rpc_errors_total[1m]))')
  assert.deepEqual(errorsByCode.map((sample) => sample.metric.code), ['-32601'])
  assert.deepEqual((await instantQuery(prometheus, 'sum(ws_connections)'))[0]!.value[1], '6')

  // Prometheus evaluated every rule itself as well, without an error
  const loaded = await prometheus.api<{ groups: Array<{ rules: Array<{ name: string, health: string, lastError?: string }> }> }>('rules')
  const evaluated = loaded.groups.flatMap((group) => group.rules)
  assert.deepEqual(evaluated.map((rule) => [rule.name, rule.health, rule.lastError ?? '']), rules.map((rule) => [rule.name, 'ok', '']))
})

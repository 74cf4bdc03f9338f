import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { test } from 'node:test'
import { DROPPED_METRICS } from '../../plugins/metrics.js'
import { connect } from '../helpers/client.js'
import { findPromtool, runTool } from '../helpers/prometheus.js'
import { fetchMetrics, metricValue, startServer } from '../helpers/server.js'

test('promtool check metrics finds nothing to say about a live instance\'s /metrics', async (t) => {
  const promtool = findPromtool(t)
  if (promtool === undefined) return
  const { url, http } = await startServer(t, { WS_MAX_CONNECTIONS: 500, WS_MAX_TOTAL_BUFFERED_BYTES: 8_388_608 })
  // traffic first, so the labelled series (methods, error codes, HTTP routes, channels) are in the text too
  const client = await connect(t, url)
  assert.deepEqual(await client.call('self.reply', { text: 'x' }), { jsonrpc: '2.0', id: 1, result: { text: 'x' } })
  assert.equal((await client.call('no.such.method', {}, 2)).error.code, -32601)
  assert.deepEqual((await client.call('subscribe', { channel: 'news' }, 3)).id, 3)
  assert.equal((await fetch(`${http}/health/ready`)).status, 200)
  const text = await fetchMetrics(http)

  const { code, stdout, stderr } = await runTool(promtool, ['check', 'metrics'], text)
  assert.deepEqual({ code, output: stdout + stderr }, { code: 0, output: '' })

  // what was dropped is gone, its per-type sibling stays
  for (const name of DROPPED_METRICS) assert.ok(!text.includes(`# TYPE ${name} `), `${name} is not exported`)
  assert.ok(text.includes('# TYPE nodejs_active_handles gauge\n'))
  // the limits are series, so alerts divide by them
  assert.equal(metricValue(text, 'ws_max_connections'), 500)
  assert.equal(metricValue(text, 'ws_max_total_buffered_bytes'), 8_388_608)
  assert.ok(metricValue(text, 'ws_memory_limit_bytes')! > 0)
})

test('docs/operations.md has a row for every series /metrics exports, and none for a series it does not', async (t) => {
  const { http } = await startServer(t)
  const exported = [...(await fetchMetrics(http)).matchAll(/^# TYPE (\S+) /gm)].map((match) => match[1]!)
  const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8')
  const reference = doc.slice(doc.indexOf('### Metrics reference'), doc.indexOf('## Shutdown'))
  // the first cell of each row names one series or several
  const documented = reference.split('\n').filter((line) => line.startsWith('| `'))
    .flatMap((line) => [...line.split(' | ')[0]!.matchAll(/`([a-z0-9_]+)`/g)].map((match) => match[1]!))
  assert.deepEqual(exported.filter((name) => !documented.includes(name)), [], 'exported but not documented')
  assert.deepEqual(documented.filter((name) => !exported.includes(name)), [], 'documented but not exported')
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import { dashboardExprs, metricNames, readDashboard, ruleExprs } from '../helpers/promql.js'

test('metric names are read out of PromQL, and functions, labels, keywords and durations are not', () => {
  assert.deepEqual(
    metricNames('histogram_quantile(0.99, sum by (le, method) (rate(ws_rpc_duration_seconds_bucket{instance=~".*"}[5m])))'),
    ['ws_rpc_duration_seconds_bucket'])
  assert.deepEqual(
    metricNames('sum by (job) (rate(a_total{code!="-32029"}[5m])) / sum by (job) (rate(b_total[5m] offset 1m)) > 0.05 and on (job) up == bool 1'),
    ['a_total', 'b_total', 'up'])
  assert.deepEqual(metricNames('ws_connections / ws_max_connections > 0.9'), ['ws_connections', 'ws_max_connections'])
  assert.deepEqual(metricNames('max without (type) (nodejs_active_handles) * 1e3'), ['nodejs_active_handles'])
})

// Grafana's own variable syntax, not a template string
const DATASOURCE = { type: 'prometheus', uid: '$' + '{datasource}' }

test('the dashboard imports into Grafana 10+: schema 38 or later, a Prometheus data-source variable and an instance variable', () => {
  const dashboard = readDashboard()
  assert.ok(dashboard.schemaVersion >= 38, `schemaVersion ${dashboard.schemaVersion}`)
  const variables = Object.fromEntries(dashboard.templating.list.map((variable) => [variable.name, variable]))
  assert.deepEqual({ type: variables.datasource?.type, query: variables.datasource?.query }, { type: 'datasource', query: 'prometheus' })
  assert.deepEqual({ type: variables.instance?.type, datasource: variables.instance?.datasource, allValue: variables.instance?.allValue },
    { type: 'query', datasource: DATASOURCE, allValue: '.*' })

  const panels = dashboard.panels.filter((panel) => panel.type !== 'row')
  for (const panel of panels) {
    assert.deepEqual(panel.datasource, DATASOURCE, panel.title)
    assert.ok(panel.targets!.length > 0, `${panel.title} has queries`)
    for (const target of panel.targets!) {
      assert.deepEqual(target.datasource, DATASOURCE, panel.title)
      // every query follows the instance picker
      for (const name of metricNames(target.expr)) {
        assert.match(target.expr, new RegExp(`${name}\\{[^}]*instance=~"\\$instance"`), `${panel.title}: ${name} is filtered by $instance`)
      }
    }
  }
  assert.deepEqual(dashboard.panels.filter((panel) => panel.type === 'row').map((row) => row.title),
    ['Connections', 'Upgrades and refusals', 'Messages', 'JSON-RPC', 'Channels and subscriptions', 'Pub/sub', 'Backpressure', 'Process'])
})

test('the dashboard and the alerts have queries for the live-scrape test to evaluate', () => {
  assert.ok(dashboardExprs().length >= 40)
  assert.equal(ruleExprs().length, 10)
})

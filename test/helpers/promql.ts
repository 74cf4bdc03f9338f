import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const DASHBOARD = fileURLToPath(new URL('../../deploy/grafana/hub-dashboard.json', import.meta.url))
export const ALERTS = fileURLToPath(new URL('../../deploy/prometheus/alerts.yml', import.meta.url))

export interface Panel {
  type: string
  title: string
  datasource?: { type: string, uid: string }
  targets?: Array<{ expr: string, legendFormat?: string, refId: string, datasource?: { type: string, uid: string } }>
}

export function readDashboard (): { schemaVersion: number, panels: Panel[], templating: { list: Array<Record<string, any>> } } {
  return JSON.parse(readFileSync(DASHBOARD, 'utf8'))
}

/** Every panel query of the dashboard, with Grafana's variables replaced as an "All" selection over one minute would. */
export function dashboardExprs (): Array<{ panel: string, expr: string }> {
  return readDashboard().panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({
    panel: panel.title,
    expr: target.expr.replaceAll('$instance', '.*').replaceAll('$__rate_interval', '1m')
  })))
}

/** Every alerting and recording rule of alerts.yml: its name and expression. */
export function ruleExprs (): Array<{ name: string, expr: string, isRecording: boolean }> {
  const groups = parse(readFileSync(ALERTS, 'utf8')).groups as Array<{ rules: Array<{ alert?: string, record?: string, expr: string }> }>
  return groups.flatMap((group) => group.rules.map((rule) => ({ name: (rule.alert ?? rule.record)!, expr: rule.expr, isRecording: rule.record !== undefined })))
}

// label lists after these take label names, not metric names
const LABEL_LIST = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g
const KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset', 'inf', 'nan'])

/**
 * The metric names a PromQL expression selects: identifiers that are neither a function or aggregation (followed
 * by `(` or by `by`/`without`), nor a keyword, nor inside a string, a label matcher `{…}`, a range `[…]` or a
 * label list. `sum by (le) (rate(x_bucket{a="b"}[1m])) / y` → `x_bucket`, `y`.
 */
export function metricNames (expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(LABEL_LIST, ' ')
  const names = new Set<string>()
  for (const match of bare.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*(?![\w:])/g)) {
    const word = match[0]
    const after = bare.slice(match.index + word.length)
    if (/^\s*\(/.test(after) || /^\s+(?:by|without)\b/.test(after)) continue
    if (KEYWORDS.has(word.toLowerCase())) continue
    names.add(word)
  }
  return [...names]
}

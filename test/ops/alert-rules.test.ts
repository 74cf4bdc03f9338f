import assert from 'node:assert/strict'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { findPromtool, runTool } from '../helpers/prometheus.js'

const dir = fileURLToPath(new URL('../../deploy/prometheus/', import.meta.url))

test('promtool check rules accepts deploy/prometheus/alerts.yml', async (t) => {
  const promtool = findPromtool(t)
  if (promtool === undefined) return
  const { code, stdout, stderr } = await runTool(promtool, ['check', 'rules', `${dir}alerts.yml`])
  assert.equal(code, 0, stdout + stderr)
  assert.match(stdout, /SUCCESS: 10 rules found/)
})

test('the alert unit tests in deploy/prometheus/alerts.test.yml pass', async (t) => {
  const promtool = findPromtool(t)
  if (promtool === undefined) return
  const { code, stdout, stderr } = await runTool(promtool, ['test', 'rules', `${dir}alerts.test.yml`])
  assert.equal(code, 0, stdout + stderr)
  assert.match(stdout, /SUCCESS/)
})

test('promtool check config accepts deploy/prometheus/prometheus.yml and the rules it loads', async (t) => {
  const promtool = findPromtool(t)
  if (promtool === undefined) return
  const { code, stdout, stderr } = await runTool(promtool, ['check', 'config', `${dir}prometheus.yml`])
  assert.equal(code, 0, stdout + stderr)
  assert.match(stdout, /SUCCESS: 10 rules found/)
})

import assert from 'node:assert/strict'
import { test } from 'node:test'
import fc from 'fast-check'
import { Histogram, Registry } from 'prom-client'
import { DurationHistogram } from '../../src/duration-histogram.js'

const buckets = [0.001, 0.01, 0.1, 1]

/** The same observations through prom-client's Histogram and ours must scrape to the same text. */
async function scrapeBoth (observations: Array<[string, number]>) {
  const ours = new Registry()
  const theirs = new Registry()
  const fast = new DurationHistogram({ name: 'd_seconds', help: 'h', labelName: 'method', buckets, registry: ours })
  const reference = new Histogram({ name: 'd_seconds', help: 'h', labelNames: ['method'], buckets, registers: [theirs] })
  for (const [method, seconds] of observations) {
    fast.labels(method).observe(seconds)
    reference.labels(method).observe(seconds)
  }
  return { ours: await ours.metrics(), theirs: await theirs.metrics(), ourRegistry: ours }
}

test('scrapes exactly as prom-client does, bucket edges included', async () => {
  const { ours, theirs } = await scrapeBoth([['a', 0.001], ['a', 0.0005], ['b', 0.01], ['a', 2], ['b', 0.05], ['a', 1]])
  assert.equal(ours, theirs)
  assert.match(ours, /d_seconds_bucket\{le="0.001",method="a"\} 2/)
})

test('any observations scrape as prom-client does', async () => {
  await fc.assert(fc.asyncProperty(
    fc.array(fc.tuple(fc.constantFrom('x', 'y.z', 'w'), fc.double({ min: 0, max: 5, noNaN: true })), { maxLength: 50 }),
    async (observations) => {
      const { ours, theirs } = await scrapeBoth(observations)
      assert.equal(ours, theirs)
    }), { numRuns: 100 })
})

test('reset zeroes every series and keeps them listed', async () => {
  const { ourRegistry } = await scrapeBoth([['a', 0.2]])
  ourRegistry.resetMetrics()
  assert.match(await ourRegistry.metrics(), /d_seconds_count\{method="a"\} 0/)
})

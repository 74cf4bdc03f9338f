import fp from 'fastify-plugin'
import fastifyMetricsModule from 'fastify-metrics'
import type { Registry } from 'prom-client'

// the package is CommonJS with `exports.default`; under NodeNext the plugin sits one level down
const fastifyMetrics = fastifyMetricsModule.default

const EVENT_LOOP_SAMPLE_MS = 100

/**
 * Series the libraries create that `promtool check metrics` objects to, removed from the registry once created.
 * prom-client names three gauges `_total`, a suffix Prometheus keeps for counters; each is the sum over the `type`
 * label of the gauge without the suffix, which stays (`sum(nodejs_active_handles)` is the same number).
 * fastify-metrics always creates its summary, turned off below, whose name holds its type.
 */
export const DROPPED_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
  'http_request_summary_seconds'
]

/** HTTP route series and the process's default metrics, in the server's own registry beside the `ws_*` ones. */
export default fp<{ registry: Registry }>(async function metricsPlugin (scope, { registry }) {
  // One registry per server, so several servers (or a host's own prom-client) can share a process.
  await scope.register(fastifyMetrics, {
    endpoint: null,
    name: 'wsHttpMetrics',
    // prom-client samples event-loop delay on a 10 ms timer by default: 100 wake-ups a second of an idle process.
    // Ten a second still catch any stall a scrape interval would care about.
    defaultMetrics: { enabled: true, register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS },
    routeMetrics: {
      // no summary: `http_request_summary_seconds` has its type in its name (promtool warns), and its quantiles cannot
      // be summed over instances; the histogram answers the same questions for the whole deployment
      enabled: { histogram: true, summary: false },
      registeredRoutesOnly: true,
      overrides: { histogram: { registers: [registry] }, summary: { registers: [registry] } }
    }
  })
  for (const name of DROPPED_METRICS) registry.removeSingleMetric(name)
}, { name: 'ws-metrics' })

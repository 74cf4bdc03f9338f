import fp from 'fastify-plugin'
import fastifyMetricsModule from 'fastify-metrics'
import type { Registry } from 'prom-client'

// the package is CommonJS with `exports.default`; under NodeNext the plugin sits one level down
const fastifyMetrics = fastifyMetricsModule.default

const EVENT_LOOP_SAMPLE_MS = 100

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
      enabled: true,
      registeredRoutesOnly: true,
      overrides: { histogram: { registers: [registry] }, summary: { registers: [registry] } }
    }
  })
}, { name: 'ws-metrics' })

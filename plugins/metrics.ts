import fp from 'fastify-plugin'
import fastifyMetricsModule from 'fastify-metrics'
import { Registry } from 'prom-client'
import { WsMetrics } from '../src/metrics.js'

// the package is CommonJS with `exports.default`; under NodeNext the plugin sits one level down
const fastifyMetrics = fastifyMetricsModule.default

declare module 'fastify' {
  interface FastifyInstance {
    /** The `ws_*` series; the process and HTTP ones live in the same registry. */
    wsMetrics: WsMetrics
    /** What `GET /metrics` exposes. */
    wsMetricsRegistry: Registry
  }
}

export default fp(async function metricsPlugin (fastify) {
  // One registry per server, so several servers (or a host's own prom-client) can share a process.
  const registry = new Registry()
  await fastify.register(fastifyMetrics, {
    endpoint: null,
    name: 'wsHttpMetrics',
    defaultMetrics: { enabled: true, register: registry },
    routeMetrics: {
      enabled: true,
      registeredRoutesOnly: true,
      overrides: { histogram: { registers: [registry] }, summary: { registers: [registry] } }
    }
  })
  const metrics = new WsMetrics(registry, {
    connections: () => fastify.wsHub?.size ?? 0,
    pubsubConnected: () => fastify.wsPubsub?.adapter.isConnected ?? false
  })
  fastify.decorate('wsMetrics', metrics)
  fastify.decorate('wsMetricsRegistry', registry)
}, { name: 'ws-metrics', dependencies: ['ws-config'] })

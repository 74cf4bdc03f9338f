import fp from 'fastify-plugin'
import { builtinMethods } from '../src/methods/index.js'
import { Dispatcher } from '../src/rpc/dispatcher.js'
import type { Method } from '../src/rpc/method.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Routes JSON-RPC frames to methods by name. */
    wsRpc: Dispatcher
  }
}

export interface RpcOptions {
  /** Methods to answer beside `broadcast` and `self.reply`. Default: none. */
  methods?: readonly Method[]
}

export default fp<RpcOptions>(async function rpcPlugin (fastify, opts) {
  const dispatcher = new Dispatcher({
    methods: [...builtinMethods, ...(opts.methods ?? [])],
    hub: fastify.wsHub,
    pubsub: fastify.wsPubsub,
    metrics: fastify.wsMetrics,
    log: fastify.log,
    maxBatchLength: fastify.wsConfig.WS_MAX_BATCH_LENGTH,
    // 0: no tighter than what one frame can carry
    maxStringLength: fastify.wsConfig.WS_MAX_TEXT_LENGTH || fastify.wsConfig.WS_MAX_PAYLOAD_BYTES
  })
  fastify.decorate('wsRpc', dispatcher)
}, { name: 'ws-rpc', dependencies: ['ws-hub', 'ws-pubsub', 'ws-metrics'] })

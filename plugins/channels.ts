import fp from 'fastify-plugin'
import type { Core } from '../src/core.js'

/** Shutdown: after the hub closed every client, their leaves reach the presence store before the adapter closes. */
export default fp<{ core: Core }>(async function channelsPlugin (scope, { core }) {
  scope.addHook('preClose', () => core.channels.settle())
}, { name: 'ws-channels', dependencies: ['ws-hub'] })

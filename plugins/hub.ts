import type { IncomingMessage, Server } from 'node:http'
import type { Socket } from 'node:net'
import fp from 'fastify-plugin'
import type { Core } from '../src/core.js'
import { startHeartbeat } from '../src/hub/heartbeat.js'

/** What an upgrade that nobody else answers while the server closes is told. */
const CLOSING = 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n'

/**
 * The hub's life: one heartbeat timer; on close, the drain (unless `app.wsHub.drain()` began it: the delay, then
 * clients closed with 1001 batch by batch over the spread), then what was read is answered and the rest closed.
 */
export default fp<{ core: Core }>(async function hubPlugin (scope, { core }) {
  const { hub, options, shutdown } = core
  const stopHeartbeat = startHeartbeat(hub, options.heartbeatIntervalMs)
  const server = scope.server
  scope.addHook('preClose', async () => {
    server.on('upgrade', endRefusedUpgrade)
    // clients are pinged while they are served; after the drain, the rest are no longer read (a pong included)
    await shutdown.drain()
    stopHeartbeat()
    await shutdown.close()
  })
  scope.addHook('onClose', async () => { server.removeListener('upgrade', endRefusedUpgrade) })
}, { name: 'ws-hub' })

/**
 * Clients closed with 1001 come straight back while the drain runs. Fastify answers their upgrade 503 itself as it
 * closes, on a socket that no hook ends (the HTTP server handed it over, half-open once the client leaves), and
 * `server.close()` would wait for it for ever. Runs after @fastify/websocket's listener: it ends what was answered,
 * and answers what nobody did (a host's @fastify/websocket removed its listener first).
 */
function endRefusedUpgrade (this: Server, _request: IncomingMessage, socket: Socket): void {
  if (this.listenerCount('upgrade') === 1) socket.end(CLOSING)
  else if (socket.bytesWritten > 0 || socket.writableLength > 0) socket.end()
}

import type { IncomingMessage } from 'node:http'
import { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import fp from 'fastify-plugin'
import type { onRequestHookHandler } from 'fastify'
import { OriginList } from '../src/limits/origin-list.js'
import { parseTrustProxy } from '../src/config/security-env.js'
import { BadTrustProxyError } from '../src/errors.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** onRequest hook for `/ws`: 403 when `Origin` is not in WS_ALLOWED_ORIGINS (empty: any origin). */
    wsCheckOrigin: onRequestHookHandler
    /** onRequest hook for `/ws`: 503 once this instance holds WS_MAX_CONNECTIONS clients. */
    wsCheckCapacity: onRequestHookHandler
  }
}

export default fp(async function upgradeGuardPlugin (fastify) {
  if (parseTrustProxy(fastify.wsConfig.WS_TRUST_PROXY) === undefined) throw new BadTrustProxyError()
  const origins = OriginList.parse(fastify.wsConfig.WS_ALLOWED_ORIGINS)
  const maxConnections = fastify.wsConfig.WS_MAX_CONNECTIONS
  const hub = fastify.wsHub

  // answered here rather than thrown: a full server under a connection storm must not log an error per refusal
  fastify.decorate('wsCheckOrigin', function checkOrigin (request, reply, done) {
    if (origins.allows(request.headers.origin)) return done()
    request.log.info({ origin: request.headers.origin }, 'upgrade refused: origin not allowed')
    reply.code(403).send({ statusCode: 403, code: 'WS_ERR_ORIGIN', error: 'Forbidden', message: 'origin not allowed' })
  } as onRequestHookHandler)

  fastify.decorate('wsCheckCapacity', function checkCapacity (request, reply, done) {
    if (hub.size < maxConnections) return done()
    request.log.debug('upgrade refused: connection limit reached')
    reply.code(503).header('retry-after', '1')
      .send({ statusCode: 503, code: 'WS_ERR_SERVER_FULL', error: 'Service Unavailable', message: 'connection limit reached' })
  } as onRequestHookHandler)

  // Node hands an upgrade's socket to the 'upgrade' listeners and forgets it. @fastify/websocket destroys it after a
  // refusal only on routes in its own scope, so an upgrade answered elsewhere (a 404, a POST, a host's route) stayed
  // open for ever, and app.close() waited on it. Such a socket now dies once idle for the handshake timeout (ws clears
  // the timeout on the sockets it takes), and at close. Only sockets between request and upgrade are held here.
  const idleMs = fastify.wsConfig.WS_HANDSHAKE_TIMEOUT_MS
  const server = fastify.server
  const pending = new Set<Socket>()
  // shared listeners: nothing allocated per connection beyond the Set entry while it is pending
  function forget (this: Socket) { pending.delete(this) }
  const watchUpgrade = (_request: IncomingMessage, socket: Duplex) => {
    if (!(socket instanceof Socket)) return
    pending.add(socket)
    socket.setTimeout(idleMs)
    socket.once('timeout', reapUnclaimed)
    socket.once('close', forget)
  }
  const claimed = (_ws: unknown, request: IncomingMessage) => {
    pending.delete(request.socket)
    // ws owns the socket now; a listener left for its whole life costs ~350 B per idle connection (bench/RESULTS.md)
    request.socket.off('close', forget)
  }
  server.prependListener('upgrade', watchUpgrade)
  fastify.addHook('onReady', async () => { fastify.websocketServer.on('connection', claimed) })
  fastify.addHook('preClose', async () => {
    server.off('upgrade', watchUpgrade)
    fastify.websocketServer.off('connection', claimed)
    for (const socket of pending) socket.destroy()
  })
}, { name: 'ws-upgrade-guard', dependencies: ['ws-config', 'ws-hub'] })

/** ws reads its socket through a 'data' listener; a socket nobody reads was never upgraded. */
function reapUnclaimed (this: Socket) {
  if (this.listenerCount('data') === 0) this.destroy()
}

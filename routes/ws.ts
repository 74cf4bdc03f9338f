import type { ServerResponse } from 'node:http'
import { Socket as NetSocket, type Socket } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { attachConnection } from '../src/hub/connection.js'

export default async function wsRoute (fastify: FastifyInstance) {
  const deps = { hub: fastify.wsHub, dispatcher: fastify.wsRpc, messageRate: fastify.wsMessageRate }
  // rate limit before auth: it also caps token guessing; capacity last, nearest the upgrade it guards
  const onRequest = [fastify.wsRateLimit, fastify.wsCheckOrigin, fastify.wsAuthenticate, fastify.wsCheckCapacity]
  fastify.get('/ws', { websocket: true, onRequest }, (socket, request) => {
    // @fastify/websocket's 'error' listener closes over request and reply; ours goes on first, so the socket
    // is never without one, and the listener is swapped rather than deleted (a deleted key slows `_events`)
    const upgradeErrorListeners = socket.listeners('error')
    attachConnection(socket, deps, request.wsIdentity)
    for (const listener of upgradeErrorListeners) socket.removeListener('error', listener as (err: Error) => void)
    releaseUpgrade(request)
  })
}

/**
 * Lets the upgrade request, its reply and their logger child be collected once the handshake is over
 * (about 3.4 KiB per idle connection otherwise): the placeholder ServerResponse @fastify/websocket assigned
 * to the TCP socket for routing is still its `_httpMessage`, and holds the request.
 */
function releaseUpgrade (request: FastifyRequest) {
  const tcp = request.raw.socket as Socket & { _httpMessage?: ServerResponse | null } & Record<symbol, unknown>
  tcp._httpMessage?.detachSocket(tcp)
  // The handshake timeout (Fastify's connectionTimeout) was cleared by ws with setTimeout(0), but Node keeps
  // the spent timer on the socket and re-arms it on every read and write: drop it, the heartbeat owns idleness.
  if (kTimeout !== undefined && tcp[kTimeout] !== undefined) tcp[kTimeout] = null
}

const kTimeout = Object.getOwnPropertySymbols(new NetSocket()).find((symbol) => symbol.description === 'timeout')

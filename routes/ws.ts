import type { ServerResponse } from 'node:http'
import { Socket as NetSocket, type Socket } from 'node:net'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { WebSocket } from 'ws'
import { attachConnection } from '../src/hub/connection.js'

export default async function wsRoute (fastify: FastifyInstance) {
  const deps = { hub: fastify.wsHub, dispatcher: fastify.wsRpc, messageRate: fastify.wsMessageRate }
  // rate limit before auth: it also caps token guessing; capacity last, nearest the upgrade it guards
  const onRequest = [fastify.wsRateLimit, fastify.wsCheckOrigin, fastify.wsAuthenticate, fastify.wsCheckCapacity]
  fastify.get('/ws', { websocket: true, onRequest }, (socket, request) => {
    const identity = request.wsIdentity
    releaseUpgrade(socket, request)
    attachConnection(socket, deps, identity)
  })
}

/**
 * Lets the upgrade request, its reply and their logger child be collected once the handshake is over
 * (about 4 KiB per idle connection otherwise). Two links would keep them as long as the socket:
 * @fastify/websocket's 'error' listener closes over request and reply (attachConnection puts our own
 * on, synchronously, so the socket is never without one), and the placeholder ServerResponse it
 * assigned to the TCP socket for routing is still its `_httpMessage`.
 */
function releaseUpgrade (socket: WebSocket, request: FastifyRequest) {
  socket.removeAllListeners('error')
  const tcp = request.raw.socket as Socket & { _httpMessage?: ServerResponse | null } & Record<symbol, unknown>
  tcp._httpMessage?.detachSocket(tcp)
  // The handshake timeout (Fastify's connectionTimeout) was cleared by ws with setTimeout(0), but Node keeps
  // the spent timer on the socket and re-arms it on every read and write: drop it, the heartbeat owns idleness.
  if (kTimeout !== undefined && tcp[kTimeout] !== undefined) tcp[kTimeout] = null
}

const kTimeout = Object.getOwnPropertySymbols(new NetSocket()).find((symbol) => symbol.description === 'timeout')

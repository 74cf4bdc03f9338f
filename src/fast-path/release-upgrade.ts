import type { IncomingMessage, ServerResponse } from 'node:http'
import { Socket } from 'node:net'

/** Node's private symbol for a socket's idle timer. */
export const kTimeout = Object.getOwnPropertySymbols(new Socket()).find((symbol) => symbol.description === 'timeout')

/**
 * Lets the upgrade request, its reply and their logger child be collected once the handshake is over
 * (about 3.4 KiB per idle connection otherwise): the placeholder ServerResponse @fastify/websocket assigned
 * to the TCP socket for routing is still its `_httpMessage`, and holds the request.
 */
export function releaseUpgrade (request: IncomingMessage) {
  const tcp = request.socket as Socket & { _httpMessage?: ServerResponse | null } & Record<symbol, unknown>
  tcp._httpMessage?.detachSocket(tcp)
  // The handshake timeout (Fastify's connectionTimeout) was cleared by ws with setTimeout(0), but Node keeps
  // the spent timer on the socket and re-arms it on every read and write: drop it, the heartbeat owns idleness.
  if (kTimeout !== undefined && tcp[kTimeout] !== undefined) tcp[kTimeout] = null
}

import type { WebSocket } from 'ws'
import type { Logger } from '../logger.js'

/** Why an upgrade was refused in-band (WS_REFUSE_IN_BAND): the close code and reason its socket gets after the 101. */
export interface UpgradeRefusal {
  code: number
  reason: string
}

/**
 * How long a refused socket may take to answer our close frame before it is destroyed. ws's own bound is 30 s;
 * a refused client has nothing to finish, and a refusal storm must not hold sockets that long.
 */
export const REFUSED_CLOSE_GRACE_MS = 2_000

/**
 * Closes a socket that was upgraded only to say why it is refused. It never joins the hub: no connection is
 * counted, no event emitted, and its frames (if any come before the close) are not read.
 */
export function closeRefused (socket: WebSocket, refusal: UpgradeRefusal, log: Logger) {
  socket.on('error', (err) => log.debug({ err }, 'refused socket error'))
  socket.close(refusal.code, refusal.reason)
  const timer = setTimeout(() => socket.terminate(), REFUSED_CLOSE_GRACE_MS).unref()
  socket.once('close', () => clearTimeout(timer))
}

import type { Hub } from './hub.js'

/**
 * One timer for all clients: each tick terminates the clients that did not answer the previous ping,
 * then pings the rest. A dead peer is gone within two intervals.
 */
export function startHeartbeat (hub: Hub, intervalMs: number): () => void {
  const timer = setInterval(() => {
    for (const client of hub.clients()) {
      if (!client.isAlive) {
        hub.log.debug({ clientId: client.id }, 'heartbeat missed, terminating')
        client.socket.terminate()
        continue
      }
      client.isAlive = false
      client.socket.ping()
    }
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}

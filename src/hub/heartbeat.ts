import type { Hub } from './hub.js'

/** A slice's tick is never shorter than this, so short test intervals keep one tick for all clients. */
const MIN_TICK_MS = 100
/** At the default 30 s interval: one tick a second, each pinging a thirtieth of the clients. */
const MAX_SLICES = 30

/**
 * One timer for all clients, each interval cut into slices: a tick pings only the clients of its slice, so
 * 20,000 sockets cost 30 small bursts of writes instead of one that holds the event loop (and every delivery
 * behind it) for hundreds of milliseconds. At its slice's tick, a client that did not answer its previous ping is
 * terminated; the rest are pinged. A dead peer is gone within two intervals.
 */
export function startHeartbeat (hub: Hub, intervalMs: number): () => void {
  const slices = Math.max(1, Math.min(MAX_SLICES, Math.floor(intervalMs / MIN_TICK_MS)))
  let tick = 0
  const timer = setInterval(() => {
    const slice = tick++ % slices
    for (const client of hub.clients()) {
      if (client.heartbeatSlot % slices !== slice) continue
      if (!client.isAlive) {
        hub.log.debug({ clientId: client.id }, 'heartbeat missed, terminating')
        client.socket.terminate()
        continue
      }
      client.isAlive = false
      client.socket.ping()
    }
  }, intervalMs / slices)
  timer.unref()
  return () => clearInterval(timer)
}

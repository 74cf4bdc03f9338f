import { CloseCode } from '../close-codes.js'
import type { Hub } from './hub.js'

/**
 * Ends the hub's service within `timeoutMs`: stops reading every client first, so nothing new starts, answers
 * what was already read (a broadcast waits for its broker), then closes every client with 1001. A request a client
 * gets no answer to was therefore not run, and is safe to send again elsewhere.
 */
export async function shutDown (hub: Hub, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs
  hub.isStopping = true
  for (const client of hub.clients()) client.pauseReading()
  const isSettled = await hub.inFlight.settled(timeoutMs)
  if (!isSettled) hub.log.warn({ inFlight: hub.inFlight.count }, 'shutdown timed out with requests in flight')
  await hub.closeAll(CloseCode.GoingAway, 'server shutting down', Math.max(0, deadline - performance.now()))
}

export interface Backoff {
  minMs: number
  maxMs: number
}

/**
 * Delay before reconnect attempt `attempt` (1-based): doubling from `minMs`, capped at `maxMs`, with up to
 * 20% taken off at random so a fleet that lost its broker together does not come back in lockstep.
 */
export function backoffDelay (attempt: number, { minMs, maxMs }: Backoff): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30)
  const delay = Math.min(minMs * 2 ** exponent, maxMs)
  return Math.max(1, Math.round(delay * (1 - Math.random() * 0.2)))
}

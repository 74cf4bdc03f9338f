/**
 * The wait before reconnect attempt `attempt` (0 first): uniformly random between `minMs` and a ceiling that doubles
 * per attempt from `2 * minMs` up to `maxMs` ("full jitter" above a floor), so clients dropped together do not come
 * back together, and none comes back sooner than `minMs`.
 */
export function backoffDelay (attempt: number, minMs: number, maxMs: number, random: () => number = Math.random): number {
  const ceiling = Math.min(maxMs, minMs * 2 ** Math.min(attempt + 1, 30))
  return minMs + random() * Math.max(0, ceiling - minMs)
}

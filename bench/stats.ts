/** Median with its range over the repetitions of one figure. */
export interface Spread {
  median: number
  min: number
  max: number
}

/** Missing figures (a field one repetition or target lacks) and NaN are left out. */
export function spread (values: Array<number | undefined>): Spread {
  const sorted = values.filter((v): v is number => typeof v === 'number' && !Number.isNaN(v)).sort((a, b) => a - b)
  if (sorted.length === 0) return { median: NaN, min: NaN, max: NaN }
  const mid = sorted.length >> 1
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
  return { median, min: sorted[0], max: sorted[sorted.length - 1] }
}

export function sleep (ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}

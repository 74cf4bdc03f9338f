/**
 * Latency histogram: 10 µs buckets up to 100 ms, then 1 ms buckets up to 60 s; slower samples land in
 * the last bucket, and `max` keeps the true worst.
 */
const FINE_US = 10
const FINE_BUCKETS = 10_000
const COARSE_US = 1_000
const BUCKETS = FINE_BUCKETS + 60_000 - 100

function bucketOf (us: number): number {
  if (us <= 0) return 0
  if (us < FINE_US * FINE_BUCKETS) return Math.floor(us / FINE_US)
  return Math.min(BUCKETS - 1, FINE_BUCKETS + Math.floor((us - FINE_US * FINE_BUCKETS) / COARSE_US))
}

function upperEdge (bucket: number): number {
  return bucket < FINE_BUCKETS ? (bucket + 1) * FINE_US : FINE_US * FINE_BUCKETS + (bucket - FINE_BUCKETS + 1) * COARSE_US
}

export interface HistogramData {
  /** Sparse [bucket, count] pairs, so a worker's report stays small. */
  counts: Array<[number, number]>
  total: number
  max: number
}

export class Histogram {
  readonly #counts = new Uint32Array(BUCKETS)
  total = 0
  max = 0

  record (us: number) {
    this.#counts[bucketOf(us)]++
    this.total++
    if (us > this.max) this.max = us
  }

  merge (data: HistogramData) {
    for (const [bucket, count] of data.counts) this.#counts[bucket] += count
    this.total += data.total
    if (data.max > this.max) this.max = data.max
  }

  /** Upper edge of the bucket holding the q-quantile, in µs; NaN when empty. */
  quantile (q: number): number {
    if (this.total === 0) return NaN
    const rank = Math.ceil(q * this.total)
    let seen = 0
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      seen += this.#counts[bucket]
      if (seen >= rank) return Math.min(upperEdge(bucket), this.max)
    }
    return this.max
  }

  toJSON (): HistogramData {
    const counts: Array<[number, number]> = []
    for (let bucket = 0; bucket < BUCKETS; bucket++) {
      if (this.#counts[bucket] !== 0) counts.push([bucket, this.#counts[bucket]])
    }
    return { counts, total: this.total, max: this.max }
  }

  reset () {
    this.#counts.fill(0)
    this.total = 0
    this.max = 0
  }
}

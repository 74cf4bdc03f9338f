import type { Metric, Registry } from 'prom-client'

/** One sample line as prom-client's registry formats it. */
interface Sample {
  metricName: string
  labels: Record<string, string | number>
  value: number
}

/** One label value's buckets; `observe` is all the hot path pays. */
export class DurationSeries {
  readonly #bounds: readonly number[]
  /** Non-cumulative: counts[i] holds observations in (bounds[i-1], bounds[i]]; the last slot is +Inf. */
  readonly counts: Float64Array
  sum = 0
  count = 0

  constructor (bounds: readonly number[]) {
    this.#bounds = bounds
    this.counts = new Float64Array(bounds.length + 1)
  }

  observe (seconds: number) {
    const bounds = this.#bounds
    let slot = 0
    while (slot < bounds.length && seconds > bounds[slot]) slot++
    this.counts[slot]++
    this.sum += seconds
    this.count++
  }
}

export interface DurationHistogramOptions {
  name: string
  help: string
  labelName: string
  buckets: readonly number[]
  registry: Registry
}

/**
 * A Prometheus histogram with one label, exposed in prom-client's format. prom-client's own `observe` validates
 * and hashes its labels on every call (about a fifth of a `self.reply` round trip in the dispatcher); here a label
 * value is bound once and an observation is a bucket search and three additions.
 */
export class DurationHistogram {
  readonly name: string
  readonly help: string
  readonly type = 'histogram' as const
  readonly aggregator = 'sum' as const
  readonly #labelName: string
  readonly #bounds: readonly number[]
  readonly #series = new Map<string, DurationSeries>()

  constructor (options: DurationHistogramOptions) {
    this.name = options.name
    this.help = options.help
    this.#labelName = options.labelName
    this.#bounds = [...options.buckets].sort((a, b) => a - b)
    // the registry reads a metric through get() and reset() only; this is not one of prom-client's classes
    options.registry.registerMetric(this as unknown as Metric)
  }

  /** The series for one label value, created on first use; hold it rather than calling this per observation. */
  labels (value: string): DurationSeries {
    let series = this.#series.get(value)
    if (series === undefined) {
      series = new DurationSeries(this.#bounds)
      this.#series.set(value, series)
    }
    return series
  }

  async get () {
    const values: Sample[] = []
    for (const [labelValue, series] of this.#series) {
      let cumulative = 0
      this.#bounds.forEach((bound, slot) => {
        cumulative += series.counts[slot]
        values.push({ metricName: `${this.name}_bucket`, labels: { le: bound, [this.#labelName]: labelValue }, value: cumulative })
      })
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf', [this.#labelName]: labelValue }, value: series.count })
      values.push({ metricName: `${this.name}_sum`, labels: { [this.#labelName]: labelValue }, value: series.sum })
      values.push({ metricName: `${this.name}_count`, labels: { [this.#labelName]: labelValue }, value: series.count })
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values }
  }

  reset () {
    for (const series of this.#series.values()) {
      series.counts.fill(0)
      series.sum = 0
      series.count = 0
    }
  }
}

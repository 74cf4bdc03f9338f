import { spread, type Spread } from './stats.js'

/** Every repetition's figures, by scenario and target, plus notes for what could not run. */
export class Results {
  readonly #rows = new Map<string, Map<string, Array<Record<string, number>>>>()
  readonly notes: string[] = []

  add (scenario: string, target: string, record: object) {
    let byTarget = this.#rows.get(scenario)
    if (byTarget === undefined) this.#rows.set(scenario, byTarget = new Map())
    let records = byTarget.get(target)
    if (records === undefined) byTarget.set(target, records = [])
    records.push(record as Record<string, number>)
  }

  note (text: string) {
    if (!this.notes.includes(text)) this.notes.push(text)
  }

  targets (scenario: string): string[] {
    return [...(this.#rows.get(scenario)?.keys() ?? [])]
  }

  has (scenario: string) {
    return this.#rows.has(scenario)
  }

  get (scenario: string, target: string, field: string): Spread {
    const records = this.#rows.get(scenario)?.get(target) ?? []
    return spread(records.map((record) => record[field]))
  }

  median (scenario: string, target: string, field: string): number {
    return this.get(scenario, target, field).median
  }

  /** Ratio of medians to the raw ws peer in the same run. */
  ratio (scenario: string, target: string, field: string): number {
    return this.median(scenario, target, field) / this.median(scenario, 'ws', field)
  }
}

import type { HistoryPolicy } from '../pubsub/history-store.js'

/** The host's choice per channel name (the plugin's `history` option); undefined takes the defaults. */
export type HistoryRule = (channel: string) => Partial<HistoryPolicy> | undefined

const OFF: HistoryPolicy = { size: 0, ttlMs: 0 }

/**
 * Each channel's policy: the host's rule when given, else `WS_HISTORY_SIZE` / `WS_HISTORY_TTL_MS`. A rule may
 * also turn history on for channels when the default is off. Answers are cached per channel name, since the rule
 * is asked on every publish; the cache is bounded, as channel names come from clients.
 */
export class HistoryPolicies {
  readonly #defaults: HistoryPolicy
  readonly #rule: HistoryRule | undefined
  readonly #cache = new Map<string, HistoryPolicy>()

  constructor (defaults: HistoryPolicy, rule?: HistoryRule) {
    this.#defaults = defaults
    this.#rule = rule
  }

  /** True when some channel may keep history: the adapter must then have a store. */
  get mayKeep (): boolean {
    return this.#rule !== undefined || this.#defaults.size > 0
  }

  of (channel: string): HistoryPolicy {
    if (this.#rule === undefined) return this.#defaults.size > 0 ? this.#defaults : OFF
    let policy = this.#cache.get(channel)
    if (policy === undefined) {
      policy = this.#ask(channel)
      if (this.#cache.size >= 10_000) this.#cache.clear()
      this.#cache.set(channel, policy)
    }
    return policy
  }

  #ask (channel: string): HistoryPolicy {
    const answer = this.#rule!(channel) ?? {}
    const size = answer.size ?? this.#defaults.size
    const ttlMs = answer.ttlMs ?? this.#defaults.ttlMs
    if (!Number.isSafeInteger(size) || size < 0 || !Number.isSafeInteger(ttlMs) || ttlMs < 1) {
      throw new TypeError(`history rule for "${channel}" must return a size >= 0 and a ttlMs >= 1 (integers), got ${JSON.stringify(answer)}`)
    }
    return size === 0 ? OFF : { size, ttlMs }
  }
}

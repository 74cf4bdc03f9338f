import type { HistoryPage, HistoryPolicy, HistoryStore, StoredPublication } from '../pubsub/history-store.js'
import type { Position } from '../pubsub/position.js'
import { historyUnavailable, unrecoverablePosition } from '../rpc/rpc-error.js'
import type { HistoryPolicies } from './history-policies.js'

/** A kept message as clients see it: the params of its `message` notification, with its position. */
export interface Publication {
  channel: string
  data: unknown
  from: string
  offset: number
  epoch: string
}

/** What `subscribe` answers about the channel's history. */
export interface Recovery {
  epoch: string
  offset: number
  recovered: boolean
  publications: Publication[]
}

export interface HistoryRequest {
  since?: Position | undefined
  limit?: number | undefined
  reverse?: boolean | undefined
}

export interface HistoryResult {
  publications: Publication[]
  epoch: string
  offset: number
}

/** Channels without history still answer, so that a client need not know the server's configuration. */
const NONE: Recovery = Object.freeze({ epoch: '', offset: 0, recovered: false, publications: [] })

/**
 * Reading channel history for clients, the host and the API: recovery on subscribe and the `history` method.
 * `recoverMax` caps what one answer carries (WS_HISTORY_RECOVER_MAX; 0: the channel's size).
 */
export class ChannelHistory {
  readonly policies: HistoryPolicies
  readonly #store: HistoryStore | undefined
  readonly #recoverMax: number

  constructor (policies: HistoryPolicies, store: HistoryStore | undefined, recoverMax: number) {
    this.policies = policies
    this.#store = store
    this.#recoverMax = recoverMax
  }

  /** The channel's policy when it keeps history on this deployment, else undefined. */
  kept (channel: string): HistoryPolicy | undefined {
    if (this.#store === undefined) return undefined
    const policy = this.policies.of(channel)
    return policy.size > 0 ? policy : undefined
  }

  /**
   * Where the channel stands, and with `since`, what came after it: `recovered` when every publication after
   * `since` is in `publications`; else the newest that are kept, up to the cap, ending at the newest.
   */
  async recover (channel: string, policy: HistoryPolicy, since: Position | undefined): Promise<Recovery> {
    const limit = since === undefined ? 0 : this.#cap(policy)
    let page = await this.#read(channel, policy, { since, limit, reverse: true })
    // a position past the newest cannot be continued from either; the answer then shows what is kept
    if (since !== undefined && since.epoch === page.epoch && since.offset > page.offset) page = await this.#read(channel, policy, { since: undefined, limit, reverse: true })
    const publications = toPublications(channel, page, page.publications.slice().reverse())
    const gap = since !== undefined && since.epoch === page.epoch ? page.offset - since.offset : -1
    // the publications after `since` are distinct and at most the newest offset, so counting them proves no hole
    const recovered = gap >= 0 && publications.length === gap
    return { epoch: page.epoch, offset: page.offset, recovered, publications }
  }

  /** The `history` method: kept publications, oldest first (newest first with `reverse`), after `since` if given. */
  async read (channel: string, request: HistoryRequest): Promise<HistoryResult> {
    const policy = this.kept(channel)
    if (policy === undefined) return { publications: [], epoch: '', offset: 0 }
    const cap = this.#cap(policy)
    const limit = Math.min(request.limit ?? cap, cap)
    const page = await this.#read(channel, policy, { since: request.since, limit, reverse: request.reverse === true })
    const since = request.since
    // a position from another epoch, or one whose successor was trimmed, cannot be continued from
    if (since !== undefined && (since.epoch !== page.epoch || since.offset > page.offset || page.first > since.offset + 1)) {
      throw unrecoverablePosition({ epoch: page.epoch, offset: page.offset })
    }
    return { publications: toPublications(channel, page, page.publications), epoch: page.epoch, offset: page.offset }
  }

  /** For a channel that keeps no history. */
  static get none (): Recovery {
    return { ...NONE, publications: [] }
  }

  #cap (policy: HistoryPolicy): number {
    return this.#recoverMax > 0 ? Math.min(this.#recoverMax, policy.size) : policy.size
  }

  async #read (channel: string, policy: HistoryPolicy, query: { since: Position | undefined, limit: number, reverse: boolean }): Promise<HistoryPage> {
    try {
      return await this.#store!.read(channel, policy, query)
    } catch (err) {
      throw historyUnavailable(err)
    }
  }
}

/** Kept payloads back to notification params; one that is not a message notification is left out (a visible gap). */
function toPublications (channel: string, page: HistoryPage, kept: StoredPublication[]): Publication[] {
  const publications: Publication[] = []
  for (const { offset, payload } of kept) {
    let params: Partial<Publication> | undefined
    try {
      params = JSON.parse(payload.toString()).params
    } catch {}
    if (params === null || typeof params !== 'object' || params.channel !== channel) continue
    publications.push({ channel, data: params.data, from: String(params.from), offset, epoch: page.epoch })
  }
  return publications
}

import type { Envelope } from '../pubsub/envelope.js'
import type { Position } from './position.js'

/** How much of a channel's past is kept: `size` publications (0: none), for `ttlMs` after its last publish. */
export interface HistoryPolicy {
  size: number
  ttlMs: number
}

/** One kept publication: the `message` notification's bytes as published (without its position), and its offset. */
export interface StoredPublication {
  offset: number
  payload: Buffer
}

export interface HistoryQuery {
  /** Only publications after this position; ignored when its epoch is not the channel's. */
  since?: Position | undefined
  /** At most this many publications. */
  limit: number
  /** Newest first, from the newest down (else oldest first, from the oldest or from `since` up). */
  reverse: boolean
}

export interface HistoryPage {
  epoch: string
  /** The newest offset of the epoch; 0 when nothing was published in it yet. */
  offset: number
  /** The oldest offset still kept; `offset + 1` when nothing is kept. */
  first: number
  publications: StoredPublication[]
}

/**
 * A channel's history on the broker. `append` assigns the next offset and hands the envelope, with its position,
 * to the channel's subscribers on every instance, in offset order; both happen or neither does. `read` answers
 * under the channel's current epoch, and creates one when the channel has none, so a position handed out stays
 * valid until the history is really lost.
 */
export interface HistoryStore {
  append (channel: string, policy: HistoryPolicy, envelope: Envelope): Promise<Position>
  read (channel: string, policy: HistoryPolicy, query: HistoryQuery): Promise<HistoryPage>
  close? (): Promise<void>
}

import type { HistogramData } from './histogram.js'

/** A storm client: the channel it holds, the instance it first subscribes on, and the one it comes back to. */
export interface StormSeat { index: number, channel: string, first: number, second: number }

export type HistoryCommand =
  | { type: 'recovery', urls: string[], reps: number, warmup: number, missed: number, channelPrefix: string, addressPrefix: string }
  | { type: 'storm-connect', urls: string[], seats: StormSeat[], addressPrefix: string }
  | { type: 'storm-drop' }
  | { type: 'publish', urls: string[], channels: string[], perChannel: number, tag: string, addressPrefix: string }
  | { type: 'storm-reconnect', startAt: number, spreadMs: number, total: number, missed: number, tag: string }
  | { type: 'close' }

export type HistoryReply =
  | { type: 'ready' }
  | { type: 'recovery', total: HistogramData, rtt: HistogramData, failed: number, firstError: string }
  | { type: 'storm-connected', connected: number, failed: number, firstError: string, ms: number }
  | { type: 'storm-dropped', dropped: number }
  | { type: 'published', published: number, failed: number, firstError: string, ms: number }
  | {
    type: 'storm-reconnected',
    /** `recovered: true` with exactly the missed publications, offsets in order. */
    exact: number
    notRecovered: number
    wrong: number
    failed: number
    firstError: string
    total: HistogramData
    rtt: HistogramData
    /** Last answer in hand, ms after `startAt`. */
    lastMs: number
  }

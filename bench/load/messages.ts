import type { Kind } from './kind.js'
import type { HistogramData } from './histogram.js'
import type { KeyOrder } from './key-order.js'

/** What the harness asks a load-generator worker to do, over the fork IPC channel. */
export type WorkerCommand =
  | { type: 'connect', kind: Kind, urls: string[], count: number, addressPrefix: string, concurrency: number, startIndex: number }
  | { type: 'arm', trial: number }
  | { type: 'progress' }
  | { type: 'report' }
  | { type: 'send', trial: number, rate: number, durationMs: number, padding: number }
  | { type: 'echo', durationMs: number, warmupMs: number, order: KeyOrder }
  | { type: 'close' }

export type WorkerReply =
  | { type: 'ready' }
  | { type: 'connected', connected: number, failed: number, firstError: string, ms: number }
  | { type: 'armed' }
  | { type: 'progress', received: number }
  | { type: 'report', received: number, duplicated: number, closed: number, histograms: HistogramData[] }
  | { type: 'sent', sent: number, ms: number }
  | { type: 'echoed', requests: number, allRequests: number, ms: number, histogram: HistogramData }

import type { HistogramData } from './histogram.js'

/** Where each connection of a channel worker goes: the instance (index into `urls`) and the one channel it joins. */
export interface Seat { instance: number, channel: string }

export type ChannelCommand =
  | { type: 'connect', kind: 'ours' | 'sio', urls: string[], seats: Seat[], addressPrefix: string, publisher: boolean }
  | { type: 'arm', trial: number }
  | { type: 'send', trial: number, rate: number, durationMs: number, channels: string[] }
  | { type: 'progress' }
  | { type: 'report' }
  | { type: 'close' }

export type ChannelReply =
  | { type: 'ready' }
  | { type: 'connected', connected: number, failed: number, firstError: string, ms: number }
  | { type: 'armed' }
  | { type: 'sent', sent: number, ms: number, perChannel: Record<string, number> }
  | { type: 'progress', received: number }
  | { type: 'report', received: number, duplicated: number, closed: number, histogram: HistogramData }

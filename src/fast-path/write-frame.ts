import type { WebSocket } from 'ws'

/** The parts of a `ws` WebSocket that the pre-framed path reads; when any is missing it falls back to `send`. */
export interface WsSendInternals {
  _socket?: { write (chunk: Buffer | string, encoding?: BufferEncoding): boolean }
  _sender?: { _queue?: unknown[], _state?: number }
}

/** ws's Sender state when it is neither compressing nor waiting for a Blob. */
export const SENDER_IDLE = 0

/**
 * Writes a pre-built frame straight to the TCP socket. Only when ws's sender has nothing queued, so the
 * frame cannot overtake one ws still holds; returns false otherwise and the caller uses `socket.send`.
 */
export function writeFrame (socket: WebSocket, frame: Buffer | string): boolean {
  const { _sender: sender, _socket: tcp } = socket as unknown as WsSendInternals
  if (tcp === undefined || sender === undefined || sender._state !== SENDER_IDLE || sender._queue?.length !== 0) return false
  if (typeof frame === 'string') tcp.write(frame, 'latin1')
  else tcp.write(frame)
  return true
}

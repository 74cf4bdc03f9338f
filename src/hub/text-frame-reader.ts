import { isUtf8 } from 'node:buffer'
import type { WebSocket } from 'ws'

/** The parts of ws's Receiver (a Writable) that tell whether it sits between messages with nothing held. */
interface ReceiverInternals {
  write (chunk: Buffer): boolean
  _state: number
  _bufferedBytes: number
  _fragmented: number
  _opcode: number
  _errored: boolean
  _maxPayload: number
  _skipUTF8Validation: boolean
  _allowSynchronousEvents: boolean
  _writableState: { length: number, ending: boolean, destroyed: boolean }
}

/** ws's Receiver state before the first byte of a frame. */
const GET_INFO = 0
const CLOSE_OPCODE = 0x08
/** FIN set, RSV clear, opcode 1 (text). */
const FIN_TEXT = 0x81
const MASK_BIT = 0x80
/** Header (2 bytes) and masking key (4) of a client frame whose length fits the 7-bit field. */
const SHORT_HEADER = 6
const MAX_SHORT_LENGTH = 125

/**
 * Reads short, whole text frames off each TCP chunk before ws's Receiver sees them, and hands their text to `onText`.
 * In a request/reply loop nearly every chunk is one such frame, and ws's general path pays for a Writable write
 * (with a tick after it), three buffer views and two event emits per frame.
 * Only a frame ws would accept as it stands is taken: FIN text, RSV clear, masked, within `maxPayload`, valid UTF-8,
 * with the Receiver between messages and holding nothing. Anything else (a control frame, a fragment, a partial or
 * bad frame) and all that follows it in the chunk go to ws unchanged, so ws still answers every protocol error,
 * close and ping, in order.
 */
export function readShortTextFrames (socket: WebSocket, onText: (text: string) => void): void {
  const receiver = (socket as unknown as { _receiver?: ReceiverInternals })._receiver
  if (receiver === undefined || typeof receiver.write !== 'function' || receiver._allowSynchronousEvents !== true) return
  const write = receiver.write
  receiver.write = function writeChunk (chunk: Buffer): boolean {
    let at = 0
    while (at < chunk.length && isIdle(receiver)) {
      const end = shortTextFrameEnd(chunk, at, receiver._maxPayload)
      if (end === -1) break
      const start = at + SHORT_HEADER
      const bits = unmask(chunk, start, end)
      // one pass unmasks and tells ASCII; any other text is checked as ws would, and masked again for ws when bad
      const ascii = bits < 0x80
      if (!ascii && !receiver._skipUTF8Validation && !isUtf8(chunk.subarray(start, end))) {
        unmask(chunk, start, end)
        break
      }
      onText(chunk.toString(ascii ? 'latin1' : 'utf8', start, end))
      at = end
    }
    if (at === chunk.length) return true
    return write.call(receiver, at === 0 ? chunk : chunk.subarray(at))
  }
}

function isIdle (receiver: ReceiverInternals): boolean {
  const state = receiver._writableState
  return receiver._state === GET_INFO && receiver._bufferedBytes === 0 && receiver._fragmented === 0 &&
    receiver._opcode !== CLOSE_OPCODE && !receiver._errored && state.length === 0 && !state.ending && !state.destroyed
}

/** Where the whole short masked text frame at `at` ends, or -1 when the bytes there are anything else. */
function shortTextFrameEnd (chunk: Buffer, at: number, maxPayload: number): number {
  if (chunk.length - at < SHORT_HEADER || chunk[at] !== FIN_TEXT) return -1
  const second = chunk[at + 1]
  if ((second & MASK_BIT) === 0) return -1
  const length = second & 0x7f
  if (length > MAX_SHORT_LENGTH || (maxPayload > 0 && length > maxPayload)) return -1
  const end = at + SHORT_HEADER + length
  return end > chunk.length ? -1 : end
}

/** XORs the payload `start..end` with the key in the 4 bytes before it; returns the OR of the bytes it produced. */
function unmask (chunk: Buffer, start: number, end: number): number {
  const m0 = chunk[start - 4]; const m1 = chunk[start - 3]; const m2 = chunk[start - 2]; const m3 = chunk[start - 1]
  let bits = 0
  let i = start
  for (; i + 4 <= end; i += 4) {
    bits |= (chunk[i] ^= m0) | (chunk[i + 1] ^= m1) | (chunk[i + 2] ^= m2) | (chunk[i + 3] ^= m3)
  }
  if (i < end) bits |= (chunk[i] ^= m0)
  if (i + 1 < end) bits |= (chunk[i + 1] ^= m1)
  if (i + 2 < end) bits |= (chunk[i + 2] ^= m2)
  return bits
}

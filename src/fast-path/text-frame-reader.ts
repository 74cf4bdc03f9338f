import { isUtf8 } from 'node:buffer'
import type { RawData, WebSocket } from 'ws'

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

/** A 'message' listener that also takes the decoded text, which is what the short-frame path hands it. */
export type TextListener = (data: RawData | string, isBinary: boolean) => void

/** ws's Receiver prototype, and the one derived from it with the short-frame `write`; made at the first socket. */
let receiverPrototype: object | undefined
let readerPrototype: object | undefined
/** Each Receiver's listener. Kept here, not on the Receiver or in a closure: either costs every connection bytes. */
const listeners = new WeakMap<object, TextListener>()

/**
 * Adds `listener` for the socket's messages, and lets short, whole text frames reach it straight off each TCP chunk,
 * as text, before ws's Receiver parses them. In a request/reply loop nearly every chunk is one such frame, and ws's
 * general path pays for a Writable write (with a tick after it), three buffer views and two emits per frame.
 * Only a frame ws would accept as it stands is taken: FIN text, RSV clear, masked, within `maxPayload`, valid UTF-8,
 * with the Receiver between messages and holding nothing. Anything else (a control frame, a fragment, a partial or
 * bad frame) and all that follows it in the chunk go to ws's own `write`, so ws still answers every protocol error,
 * close and ping, in order, and emits those messages to `listener` as usual.
 */
export function onMessage (socket: WebSocket, listener: TextListener): void {
  socket.on('message', listener)
  const receiver = (socket as unknown as { _receiver?: ReceiverInternals })._receiver
  if (receiver === undefined || receiver._allowSynchronousEvents !== true) return
  const prototype = Object.getPrototypeOf(receiver) as object
  if (readerPrototype === undefined) {
    if (typeof receiver.write !== 'function') return
    receiverPrototype = prototype
    readerPrototype = derivePrototype(prototype, receiver.write)
  }
  if (prototype !== receiverPrototype) return
  listeners.set(receiver, listener)
  Object.setPrototypeOf(receiver, readerPrototype)
}

function derivePrototype (prototype: object, write: (chunk: Buffer) => boolean): object {
  const derived = Object.create(prototype) as ReceiverInternals
  derived.write = function writeChunk (this: ReceiverInternals, chunk: Buffer): boolean {
    const listener = listeners.get(this)!
    let at = 0
    while (at < chunk.length && isIdle(this)) {
      const end = shortTextFrameEnd(chunk, at, this._maxPayload)
      if (end === -1) break
      const start = at + SHORT_HEADER
      const bits = unmask(chunk, start, end)
      // one pass unmasks and tells ASCII; any other text is checked as ws would, and masked again for ws when bad
      const ascii = bits < 0x80
      if (!ascii && !this._skipUTF8Validation && !isUtf8(chunk.subarray(start, end))) {
        unmask(chunk, start, end)
        break
      }
      listener(chunk.toString(ascii ? 'latin1' : 'utf8', start, end), false)
      at = end
    }
    if (at === chunk.length) return true
    return write.call(this, at === 0 ? chunk : chunk.subarray(at))
  }
  return derived
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

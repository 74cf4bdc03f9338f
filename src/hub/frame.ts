/**
 * A whole unmasked text frame (FIN, opcode 1) around `payload`, in one buffer: built once per broadcast,
 * each recipient then costs one socket write instead of a frame header, an options object and a corked writev.
 */
export function textFrame (payload: Buffer | string): Buffer {
  return frameOf(payload, typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length)
}

function frameOf (payload: Buffer | string, length: number): Buffer {
  const headerLength = length < 126 ? 2 : length < 65_536 ? 4 : 10
  const frame = Buffer.allocUnsafe(headerLength + length)
  frame[0] = 0x81
  if (length < 126) {
    frame[1] = length
  } else if (length < 65_536) {
    frame[1] = 126
    frame.writeUInt16BE(length, 2)
  } else {
    frame[1] = 127
    frame.writeUInt32BE(Math.floor(length / 2 ** 32), 2)
    frame.writeUInt32BE(length >>> 0, 6)
  }
  if (typeof payload === 'string') frame.write(payload, headerLength, length, 'utf8')
  else payload.copy(frame, headerLength)
  return frame
}

/**
 * The frame of one reply. When `text` is pure ASCII (its UTF-8 length equals its length) and under 64 KiB, the frame
 * is a latin1 string that goes to the socket as it is, with no Buffer allocated; otherwise the Buffer frame.
 */
export function replyFrame (text: string): Buffer | string {
  const length = Buffer.byteLength(text)
  if (length === text.length) {
    if (length < 126) return String.fromCharCode(0x81, length) + text
    if (length < 65_536) return String.fromCharCode(0x81, 126, length >>> 8, length & 0xff) + text
  }
  return frameOf(text, length)
}

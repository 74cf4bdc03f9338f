/** Where a publication sits in its channel's history: `offset` counts from 1 within `epoch`, with no holes. */
export interface Position {
  offset: number
  /** Changes whenever the channel's history was lost, so an old offset is never taken for a new one. */
  epoch: string
}

const HASH = 0x23
const NEWLINE = 0x0a
const CLOSING = Buffer.from('}}')
/** What an epoch may hold: it travels unescaped inside JSON and in the broker prefix below. */
export const EPOCH_PATTERN = /^[A-Za-z0-9_-]{1,64}$/

/**
 * The store assigns a position as it appends, after the instance signed the envelope, so the position travels
 * in front of it: `#<offset>,<epoch>\n<envelope>`. Plain envelopes start with `{`, so the two cannot be confused.
 */
export function withPositionPrefix (position: Position, encoded: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`#${position.offset},${position.epoch}\n`), encoded])
}

/** The position in front of `data`, and where the envelope starts; undefined when there is no prefix. */
export function readPositionPrefix (data: Buffer): { position: Position, rest: Buffer } | 'malformed' | undefined {
  if (data[0] !== HASH) return undefined
  const end = data.indexOf(NEWLINE)
  if (end === -1 || end > 100) return 'malformed'
  const line = data.subarray(1, end).toString()
  const comma = line.indexOf(',')
  const offset = Number(line.slice(0, comma))
  const epoch = line.slice(comma + 1)
  if (comma < 1 || !Number.isSafeInteger(offset) || offset < 1 || !EPOCH_PATTERN.test(epoch)) return 'malformed'
  return { position: { offset, epoch }, rest: data.subarray(end + 1) }
}

/**
 * A `message` notification with its position added to the params: `…}}` becomes `…,"offset":N,"epoch":"E"}}`.
 * Done once per instance, so every subscriber gets the same bytes. Undefined when the payload does not end the
 * way a message notification does.
 */
export function spliceMessagePosition (payload: Buffer, position: Position): Buffer | undefined {
  if (payload.length < 4 || !payload.subarray(payload.length - 2).equals(CLOSING)) return undefined
  return Buffer.concat([payload.subarray(0, payload.length - 2), Buffer.from(`,"offset":${position.offset},"epoch":"${position.epoch}"}}`)])
}

/** Who receives a published message. Only `all` exists today; a client id or a channel slots in beside it. */
export type Target = { kind: 'all' }

/** What travels between instances: the notification is already serialized, so receivers forward the bytes. */
export interface Envelope {
  origin: string
  target: Target
  payload: Buffer
}

export const ENVELOPE_VERSION = 1
const NEWLINE = 0x0a

interface Header { v: number, o: string, t: Target }

/**
 * Broker wire format: a one-line JSON header, a newline, then the payload bytes untouched.
 * JSON.stringify never emits a raw newline, so the first one always ends the header.
 */
export function encodeEnvelope (envelope: Envelope): Buffer {
  const header: Header = { v: ENVELOPE_VERSION, o: envelope.origin, t: envelope.target }
  return Buffer.concat([Buffer.from(JSON.stringify(header) + '\n'), envelope.payload])
}

export class MalformedEnvelopeError extends Error {
  constructor (reason: string) {
    super(`malformed envelope: ${reason}`)
    this.name = 'MalformedEnvelopeError'
  }
}

export function decodeEnvelope (data: Buffer): Envelope {
  const end = data.indexOf(NEWLINE)
  if (end <= 0) throw new MalformedEnvelopeError('no header')
  let header: Header
  try {
    header = JSON.parse(data.subarray(0, end).toString())
  } catch {
    throw new MalformedEnvelopeError('header is not JSON')
  }
  if (header === null || typeof header !== 'object') throw new MalformedEnvelopeError('header is not an object')
  if (header.v !== ENVELOPE_VERSION) throw new MalformedEnvelopeError(`unsupported version ${String(header.v)}`)
  if (typeof header.o !== 'string') throw new MalformedEnvelopeError('no origin')
  if (header.t?.kind !== 'all') throw new MalformedEnvelopeError('unknown target')
  const payload = data.subarray(end + 1)
  if (payload.length === 0) throw new MalformedEnvelopeError('empty payload')
  return { origin: header.o, target: { kind: 'all' }, payload }
}

/**
 * Who receives a published message on each instance:
 * - `all`: every client (`broadcast`);
 * - `channel`: the channel's subscribers; with `presence`, only those who asked for join/leave notifications;
 * - `command`: no client; the instance `instance` carries out the command in the payload (see src/pubsub/command.ts).
 */
export type Target =
  | { kind: 'all' }
  | { kind: 'channel', channel: string, presence?: true }
  | { kind: 'command', instance: string }

/** What travels between instances: a notification already serialized, so receivers forward the bytes. */
export interface Envelope {
  origin: string
  target: Target
  payload: Buffer
}

export const ENVELOPE_VERSION = 1
const NEWLINE = 0x0a

/** Channel names: 1–128 of these characters. Also safe as a Redis channel suffix and as NATS subject tokens. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/

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
  const target = readTarget(header.t)
  if (target === undefined) throw new MalformedEnvelopeError('unknown target')
  const payload = data.subarray(end + 1)
  if (payload.length === 0) throw new MalformedEnvelopeError('empty payload')
  return { origin: header.o, target, payload }
}

/** A fresh target object with only the members its kind has, or undefined. */
function readTarget (t: unknown): Target | undefined {
  if (t === null || typeof t !== 'object') return undefined
  const target = t as Record<string, unknown>
  switch (target.kind) {
    case 'all':
      return { kind: 'all' }
    case 'channel':
      if (typeof target.channel !== 'string' || !CHANNEL_PATTERN.test(target.channel)) return undefined
      return target.presence === true ? { kind: 'channel', channel: target.channel, presence: true } : { kind: 'channel', channel: target.channel }
    case 'command':
      return typeof target.instance === 'string' ? { kind: 'command', instance: target.instance } : undefined
    default:
      return undefined
  }
}

import { DropReason } from './drop-reason.js'
import type { Position } from './position.js'
import { SIGNATURE_LENGTH, type SigningKeys } from './signing-keys.js'

/**
 * Who receives a published message on each instance:
 * - `all`: every client (`broadcast`);
 * - `channel`: the channel's subscribers; with `presence`, only those who asked for join/leave notifications;
 * - `command`: no client; the instance `instance` carries out the command in the payload (see src/channels/commands.ts);
 *   `*` names every instance (a command on all of one user's connections).
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
  /** A channel message kept in history: its place there, assigned by the store as it appended (see position.ts). */
  position?: Position
}

export const ENVELOPE_VERSION = 1
const NEWLINE = 0x0a
const CLOSING_BRACE = Buffer.from('}')

/** Channel names: 1–128 of these characters. Also safe as a Redis channel suffix and as NATS subject tokens. */
export const CHANNEL_PATTERN = /^[A-Za-z0-9_.:@-]{1,128}$/

interface Header { v: number, o: string, t: Target, s?: unknown }

/**
 * Broker wire format: a one-line JSON header, a newline, then the payload bytes untouched.
 * JSON.stringify never emits a raw newline, so the first one always ends the header.
 * With `keys`, the header ends with `"s"`: the HMAC of the header as it was without it, a newline and the payload.
 */
export function encodeEnvelope (envelope: Envelope, keys?: SigningKeys): Buffer {
  const header: Header = { v: ENVELOPE_VERSION, o: envelope.origin, t: envelope.target }
  const text = JSON.stringify(header)
  if (keys === undefined) return Buffer.concat([Buffer.from(text + '\n'), envelope.payload])
  const signature = keys.sign(Buffer.from(text), envelope.payload)
  return Buffer.concat([Buffer.from(`${text.slice(0, -1)},"s":"${signature}"}\n`), envelope.payload])
}

/** An envelope dropped on receipt; `reason` is its `ws_pubsub_errors_total` label. */
export class MalformedEnvelopeError extends Error {
  readonly reason: DropReason
  constructor (detail: string, reason: DropReason = DropReason.Malformed) {
    super(`malformed envelope: ${detail}`)
    this.name = 'MalformedEnvelopeError'
    this.reason = reason
  }
}

/** With `keys`, only an envelope signed with one of them is accepted; without, a signature is ignored. */
export function decodeEnvelope (data: Buffer, keys?: SigningKeys): Envelope {
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
  if (keys !== undefined) verifySignature(data.subarray(0, end), header.s, payload, keys)
  return { origin: header.o, target, payload }
}

/** The signature must be the header's last member, so the signed header is what precedes it, closed again. */
function verifySignature (raw: Buffer, signature: unknown, payload: Buffer, keys: SigningKeys) {
  if (typeof signature !== 'string' || signature.length !== SIGNATURE_LENGTH) {
    throw new MalformedEnvelopeError('not signed', DropReason.BadSignature)
  }
  const suffix = `,"s":"${signature}"}`
  const cut = raw.length - suffix.length
  const signed = cut > 0 && raw.subarray(cut).toString() === suffix
    ? Buffer.concat([raw.subarray(0, cut), CLOSING_BRACE])
    : undefined
  if (signed === undefined || !keys.verify(signature, signed, payload)) {
    throw new MalformedEnvelopeError('signature does not verify', DropReason.BadSignature)
  }
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

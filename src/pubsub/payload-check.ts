import { isUtf8 } from 'node:buffer'
import { DropReason } from './drop-reason.js'
import { MalformedEnvelopeError, type Envelope } from './envelope.js'

/**
 * Why a received envelope's payload must not reach a client, or undefined when it may. Clients get the bytes as they
 * came, so what a client could not take (invalid UTF-8 closes it with 1007, a frame past its buffer with 4008) or
 * would take for something it is not (a response, a batch) stops here. A `command` is read by the instance, not
 * forwarded: it must be a JSON object with a string `op`.
 */
export function checkPayload (envelope: Envelope, maxBytes: number): MalformedEnvelopeError | undefined {
  const { payload, target } = envelope
  if (payload.length > maxBytes) return new MalformedEnvelopeError(`payload of ${payload.length} bytes is over ${maxBytes}`, DropReason.TooLarge)
  if (!isUtf8(payload)) return new MalformedEnvelopeError('payload is not valid UTF-8', DropReason.InvalidUtf8)
  let value: unknown
  try {
    value = JSON.parse(payload.toString())
  } catch {
    return new MalformedEnvelopeError('payload is not JSON')
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return new MalformedEnvelopeError('payload is not a JSON object', DropReason.NotNotification)
  }
  const message = value as Record<string, unknown>
  if (target.kind === 'command') {
    return typeof message.op === 'string' ? undefined : new MalformedEnvelopeError('command has no string op', DropReason.NotNotification)
  }
  // JSON-RPC 2.0 §4.1: a notification is a request without an id; params, when present, is structured
  const params = message.params
  if (message.jsonrpc !== '2.0' || typeof message.method !== 'string' || 'id' in message ||
    (params !== undefined && (params === null || typeof params !== 'object'))) {
    return new MalformedEnvelopeError('payload is not a JSON-RPC notification', DropReason.NotNotification)
  }
  return undefined
}

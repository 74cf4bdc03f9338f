import type { RequestId } from './response.js'

/** A request object that passed JSON-RPC 2.0 §4 checks. `isNotification` means no `id` member at all. */
export interface RpcRequest {
  method: string
  params: unknown
  id: RequestId
  isNotification: boolean
}

function isId (value: unknown): value is RequestId {
  return value === null || typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))
}

/**
 * Returns the request, or the id to answer an Invalid Request with. §5: when the id cannot be
 * detected the error's id is null; an invalid request is answered even without an id, as in the
 * specification's own examples (`{"jsonrpc": "2.0", "method": 1, "params": "bar"}`).
 */
export function readRequest (value: unknown): RpcRequest | { invalid: true, id: RequestId } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { invalid: true, id: null }
  const message = value as Record<string, unknown>
  const hasId = Object.hasOwn(message, 'id')
  const id = hasId && isId(message.id) ? message.id : null
  if (hasId && !isId(message.id)) return { invalid: true, id: null }
  if (message.jsonrpc !== '2.0' || typeof message.method !== 'string') return { invalid: true, id }
  const params = message.params
  // §4.2: params, when present, is a structured value
  if (params !== undefined && (params === null || typeof params !== 'object')) return { invalid: true, id }
  return { method: message.method, params, id, isNotification: !hasId }
}

import type { RpcError } from './rpc-error.js'

export type RequestId = string | number | null

/** Writes a result as JSON; undefined for what JSON cannot hold (undefined, a function, a symbol). */
export type ResultSerializer = (result: unknown) => string | undefined

/** Built by concatenation: one `JSON.stringify` of a wrapper object costs about a third more per reply. */
export function resultResponse (id: RequestId, result: unknown, serialize: ResultSerializer = JSON.stringify): string {
  // a function or symbol result serializes to undefined, like undefined itself: the reply still carries `result`
  const body = serialize(result) ?? 'null'
  return '{"jsonrpc":"2.0","id":' + idText(id) + ',"result":' + body + '}'
}

/** A request id is a finite number, a string or null; a number's decimal form is already its JSON (-0 too). */
function idText (id: RequestId): string {
  return typeof id === 'number' ? '' + id : JSON.stringify(id)
}

export function errorResponse (id: RequestId, error: RpcError): string {
  const body: { code: number, message: string, data?: unknown } = { code: error.code, message: error.message }
  if (error.data !== undefined) body.data = error.data
  return JSON.stringify({ jsonrpc: '2.0', id, error: body })
}

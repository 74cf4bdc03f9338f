import type { RpcError } from './rpc-error.js'

export type RequestId = string | number | null

export function resultResponse (id: RequestId, result: unknown): string {
  return JSON.stringify({ jsonrpc: '2.0', id, result: result === undefined ? null : result })
}

export function errorResponse (id: RequestId, error: RpcError): string {
  const body: { code: number, message: string, data?: unknown } = { code: error.code, message: error.message }
  if (error.data !== undefined) body.data = error.data
  return JSON.stringify({ jsonrpc: '2.0', id, error: body })
}

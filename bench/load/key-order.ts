/**
 * The member orders real clients write a request in, compact as `JSON.stringify` writes them:
 * - `id-last`: the JSON-RPC 2.0 specification's examples (printed with spaces there) and rpc-websockets'
 *   `call()`, which builds `{ jsonrpc, method, params, id }`;
 * - `id-first`: json-rpc-2.0's `createJSONRPCRequest`, which builds `{ jsonrpc, id, method, params }`.
 */
export const KEY_ORDERS = ['id-last', 'id-first'] as const
export type KeyOrder = typeof KEY_ORDERS[number]

/** One request in flight per connection, so one id serves them all. */
export function echoRequest (order: KeyOrder, text: string): string {
  const params = JSON.stringify({ text })
  return order === 'id-first'
    ? `{"jsonrpc":"2.0","id":1,"method":"self.reply","params":${params}}`
    : `{"jsonrpc":"2.0","method":"self.reply","params":${params},"id":1}`
}

export function parseKeyOrders (list: string): KeyOrder[] {
  const orders = list.split(',').filter(Boolean)
  for (const order of orders) {
    if (!(KEY_ORDERS as readonly string[]).includes(order)) throw new Error(`unknown key order "${order}" (one of ${KEY_ORDERS.join(', ')})`)
  }
  return orders as KeyOrder[]
}

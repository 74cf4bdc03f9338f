import Type from 'typebox'
import { defineMethod } from './method.js'

/**
 * Answers at once, so a client can tell a live connection from a silent one: browsers neither send nor see
 * WebSocket pings. An `rpc.`-name (JSON-RPC 2.0 §4), so it cannot take a host method's name.
 */
export default defineMethod({
  name: 'rpc.ping',
  summary: 'Answers `{}` at once: a liveness check for clients that cannot see WebSocket pings',
  // as rpc.discover: none, `{}` (JSON-RPC clients) or `[]` (OpenRPC clients)
  params: Type.Union([Type.Object({}), Type.Tuple([])]),
  result: Type.Object({}),
  handle () {
    return {}
  }
})

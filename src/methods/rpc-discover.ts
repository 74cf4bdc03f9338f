import Type from 'typebox'
import type { OpenRpcDocument } from '../rpc/openrpc.js'
import { defineMethod } from './method.js'

/**
 * OpenRPC's service discovery method: answers the document that describes every method this server answers, the
 * host's included (the same one `GET /openrpc.json` serves). JSON-RPC 2.0 §4 keeps `rpc.`-names for such methods.
 */
export default defineMethod({
  name: 'rpc.discover',
  summary: 'This server\'s OpenRPC document: every method, its params, result and errors',
  // OpenRPC clients send `params: []` for a method without params, JSON-RPC ones `{}` or none
  params: Type.Union([Type.Object({}), Type.Tuple([])]),
  // no `type`: written as it is (a typed schema would have the serializer drop what it does not name)
  result: Type.Unsafe<OpenRpcDocument>({ description: 'an OpenRPC document (https://spec.open-rpc.org)' }),
  handle (_params, { openrpc }) {
    return openrpc()
  }
})

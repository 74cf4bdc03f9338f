import type { Static, TSchema } from 'typebox'
import type { Authenticator } from '../auth/authenticator.js'
import type { Channels } from '../channels/channels.js'
import type { Client } from '../hub/client.js'
import type { Hub } from '../hub/hub.js'
import type { Logger } from '../logger.js'
import type { Fanout } from '../pubsub/fanout.js'
import type { OpenRpcDocument } from '../rpc/openrpc.js'

/** What a handler may touch besides its params. */
export interface MethodContext {
  client: Client
  hub: Hub
  pubsub: Fanout
  /** Subscriptions, publishing, presence and the channel rules (authorize, the cap). */
  channels: Channels
  /** Checks tokens the way the upgrade did (`auth.refresh`). */
  auth: Authenticator
  log: Logger
  /** This server's OpenRPC document, every method it answers (`rpc.discover`); built on first use, then kept. */
  openrpc: () => OpenRpcDocument
}

/** An error answer a method gives on purpose, as its OpenRPC description lists it. */
export interface MethodError {
  code: number
  message: string
}

/**
 * A JSON-RPC method: its wire name, the JSON Schema of its params (and of its result), and the handler. The name and
 * schemas keep their literal types, so `MethodTypes` can give a typed client each method's params and result.
 */
export interface Method<N extends string = string, S extends TSchema = TSchema, R extends TSchema | undefined = TSchema | undefined> {
  /** Wire name, e.g. `self.reply`. */
  name: N
  /** Params are validated against this before `handle` runs; a mismatch answers -32602. */
  params: S
  /**
   * JSON Schema of the result, optional. When given, results are written by a serializer compiled from it once
   * (fast-json-stringify, as Fastify does for response schemas): quicker than `JSON.stringify`, and properties the
   * schema does not name are left out. A result it cannot write (a required property missing) answers -32603.
   */
  result?: R
  /** One line on what the method does, for the OpenRPC document. Default: none. */
  summary?: string
  /** Error answers it gives on purpose, for the OpenRPC document (-32602 is listed for every method). Default: none. */
  errors?: readonly MethodError[]
  /** Returns the result, or throws an `RpcError` on purpose. Anything else thrown becomes -32603. */
  handle (params: Static<S>, ctx: MethodContext): unknown
}

export function defineMethod<const N extends string, S extends TSchema, R extends TSchema | undefined = undefined> (method: Method<N, S, R>): Method<N, S, R> {
  return method
}

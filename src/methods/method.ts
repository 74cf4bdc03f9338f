import type { Static, TSchema } from 'typebox'
import type { Authenticator } from '../auth/authenticator.js'
import type { Channels } from '../channels/channels.js'
import type { Client } from '../hub/client.js'
import type { Hub } from '../hub/hub.js'
import type { Logger } from '../logger.js'
import type { Fanout } from '../pubsub/fanout.js'

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
}

/** A JSON-RPC method: its wire name, the JSON Schema of its params, and the handler. */
export interface Method<S extends TSchema = TSchema> {
  /** Wire name, e.g. `self.reply`. */
  name: string
  /** Params are validated against this before `handle` runs; a mismatch answers -32602. */
  params: S
  /**
   * JSON Schema of the result, optional. When given, results are written by a serializer compiled from it once
   * (fast-json-stringify, as Fastify does for response schemas): quicker than `JSON.stringify`, and properties the
   * schema does not name are left out. A result it cannot write (a required property missing) answers -32603.
   */
  result?: TSchema
  /** Returns the result, or throws an `RpcError` on purpose. Anything else thrown becomes -32603. */
  handle (params: Static<S>, ctx: MethodContext): unknown
}

export function defineMethod<S extends TSchema> (method: Method<S>): Method<S> {
  return method
}

/** The wire shapes the client reads and sends (docs/protocol.md); constants and types only. */
// type-only, so the bundle holds no server code
import type { BuiltinMethods } from '../src/methods/types.js'

export type { BuiltinMethods }

/** A position in a channel's history: the `offset` of a message within its `epoch`. */
export interface StreamPosition {
  offset: number
  epoch: string
}

/** The params of a `message` notification; `offset` and `epoch` are there when the channel keeps history. */
export interface MessageParams<T = unknown> {
  channel: string
  data: T
  from: string
  offset?: number
  epoch?: string
}

/** A message kept in a channel's history: a `message` notification's params, with its position. */
export interface Publication<T = unknown> {
  channel: string
  data: T
  from: string
  offset: number
  epoch: string
}

/** The params of a `join` or `leave` notification. */
export interface PresenceEvent {
  channel: string
  client: PresenceClient
}

export interface PresenceClient {
  id: string
  user?: string
}

/** `subscribe`'s result; on a channel without history `epoch` is `''`, `offset` 0 and `publications` empty. */
export interface SubscribeResult {
  channel: string
  subscribed: true
  epoch: string
  offset: number
  /** `true`: nothing after the position sent as `recover` was missed; `false`: resync from your own source. */
  recovered: boolean
  publications: Publication[]
}

/** `presence`'s result. */
export interface PresenceResult {
  channel: string
  count: number
  clients: PresenceClient[]
}

/** `history`'s params, less the channel (`Subscription.history` adds it). */
export interface HistoryOptions {
  /** Only what came after this position (-32012 when it cannot be continued from). */
  since?: StreamPosition
  /** At most this many; `0` answers the position alone. */
  limit?: number
  /** Newest first. */
  reverse?: boolean
}

/** `history`'s result. */
export interface HistoryResult {
  publications: Publication[]
  epoch: string
  offset: number
}

/** The params of a `broadcast` notification. */
export interface BroadcastParams {
  text: string
  /** The sender's client id, or `server`. */
  from: string
}

/** The params of a `resync` notification: what this connection's instance may have missed, and since when. */
export interface ResyncParams {
  reason: string
  /** Epoch milliseconds when the instance's broker subscription was lost. */
  since: number
  scope: string
  /** The channels this client is subscribed to that may have missed messages. */
  channels?: string[]
}

/** A JSON-RPC method's params and result types, by wire name. */
export type MethodMap = Record<string, { params: unknown, result: unknown }>

/** The constraint on a client's method map: an `interface` fits it too (it has no index signature, so no `MethodMap`). */
export type MethodsOf<M> = { [K in keyof M]: { params: unknown, result: unknown } }

/** Any method name, any params, any result. */
export type LooseMethods = Record<string, { params: any, result: any }>

/**
 * The map used when none is given: the server's built-in methods with their own params and result types, and any
 * other name (a host's methods) with any params and result. An interface with an index signature, not
 * `BuiltinMethods & LooseMethods`: in that intersection each built-in's params would become `any`.
 */
export interface DefaultMethods extends BuiltinMethods {
  [method: string]: { params: any, result: any }
}

/** `call`'s params argument: optional when the method's params type admits `undefined` or has no required member. */
export type ParamsArgument<P> = undefined extends P ? [params?: P] : {} extends P ? [params?: P] : [params: P]

export { HubClient, type HubClientEvents, type HubClientState } from './hub-client.js'
export type { HubClientOptions } from './options.js'
export { HubError, ClientErrorCode } from './hub-error.js'
export { Subscription, type SubscribeOptions } from './subscription.js'
export type { WebSocketConstructor, WebSocketLike } from './websocket.js'
export type {
  BroadcastParams, BuiltinMethods, DefaultMethods, HistoryOptions, HistoryResult, LooseMethods, MessageParams, MethodMap, MethodsOf, ParamsArgument, PresenceClient,
  PresenceEvent, PresenceResult, Publication, ResyncParams, StreamPosition, SubscribeResult
} from './types.js'
export { SUBPROTOCOL, BEARER_PROTOCOL_PREFIX } from '../src/subprotocol.js'
export { CloseCode } from '../src/close-codes.js'
export { ErrorCode } from '../src/rpc/error-code.js'

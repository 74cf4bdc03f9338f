import { ErrorCode } from './error-code.js'

/** An error with its JSON-RPC meaning; thrown on purpose by handlers, sent to the client as is. */
export class RpcError extends Error {
  readonly code: number
  readonly data: unknown
  constructor (code: number, message: string, data?: unknown, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause })
    this.name = 'RpcError'
    this.code = code
    this.data = data
  }
}

export const parseError = () => new RpcError(ErrorCode.ParseError, 'Parse error')
export const invalidRequest = (data?: unknown) => new RpcError(ErrorCode.InvalidRequest, 'Invalid Request', data)
export const methodNotFound = (method: string) => new RpcError(ErrorCode.MethodNotFound, 'Method not found', { method })
export const invalidParams = (data?: unknown) => new RpcError(ErrorCode.InvalidParams, 'Invalid params', data)
export const internalError = () => new RpcError(ErrorCode.InternalError, 'Internal error')
/** `cause` is the adapter's reason, for the log; the client sees only the code and message. */
export const pubsubUnavailable = (cause?: unknown) => new RpcError(ErrorCode.PubSubUnavailable, 'Broadcast not confirmed: pub/sub unavailable', undefined, cause)
/** The broker did not confirm the channel's subscription, so no message could be promised to arrive. */
export const subscribeUnavailable = (cause?: unknown) => new RpcError(ErrorCode.PubSubUnavailable, 'Subscription not confirmed: pub/sub unavailable', undefined, cause)
/** Presence could not be read whole (the broker is away, an instance did not answer): never a partial count. */
export const presenceUnavailable = (cause?: unknown) => new RpcError(ErrorCode.PubSubUnavailable, 'Presence not confirmed: pub/sub unavailable', undefined, cause)
export const notAllowed = (data: { action: string, channel: string, reason: string }) => new RpcError(ErrorCode.NotAllowed, 'Not allowed', data)
export const tokenRefused = (data: { reason: string, message: string }) => new RpcError(ErrorCode.TokenRefused, 'Token refused', data)
export const tooManyChannels = (limit: number) => new RpcError(ErrorCode.TooManyChannels, 'Too many channels', { limit })
export const unrecoverablePosition = (current: { epoch: string, offset: number }) => new RpcError(ErrorCode.UnrecoverablePosition, 'Unrecoverable position', current)
/** The history store did not answer, so no position could be promised. */
export const historyUnavailable = (cause?: unknown) => new RpcError(ErrorCode.PubSubUnavailable, 'History not available: pub/sub unavailable', undefined, cause)

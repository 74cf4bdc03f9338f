import {
  historyUnavailable, notAllowed, presenceUnavailable, pubsubUnavailable, subscribeUnavailable, tokenRefused,
  tooManyChannels, unrecoverablePosition, type RpcError
} from '../rpc/rpc-error.js'
import type { MethodError } from './method.js'

// taken from the errors the methods throw, so the document cannot drift from the answers; their `data` varies per call
const listed = ({ code, message }: RpcError): MethodError => ({ code, message })

/** The built-in methods' own error answers, as their OpenRPC descriptions list them. */
export const MethodErrors = {
  broadcastUnavailable: listed(pubsubUnavailable()),
  subscribeUnavailable: listed(subscribeUnavailable()),
  presenceUnavailable: listed(presenceUnavailable()),
  historyUnavailable: listed(historyUnavailable()),
  notAllowed: listed(notAllowed({ action: '', channel: '', reason: '' })),
  tooManyChannels: listed(tooManyChannels(0)),
  unrecoverablePosition: listed(unrecoverablePosition({ epoch: '', offset: 0 })),
  tokenRefused: listed(tokenRefused({ reason: '', message: '' }))
} as const

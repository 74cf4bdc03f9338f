import type { ClientInfo } from '../hub/client.js'

/** What a client asks to do on a channel; `presence` covers both `presence` and `presence.count`. */
export type ChannelAction = 'subscribe' | 'publish' | 'presence' | 'history'

export interface AuthorizeRequest {
  action: ChannelAction
  channel: string
  client: ClientInfo
  /** The token's label (`alice` for `alice:tok1`, else `token-<i>`), or the JWT's `sub`; undefined with auth off. */
  identity: string | undefined
}

/**
 * The host's rule for client actions on channels: true allows, false refuses with -32010. Server-side calls
 * (`app.wsHub`, the HTTP API) are not asked. A throw is answered -32603 (an `RpcError` goes to the client as it is).
 */
export type Authorize = (request: AuthorizeRequest) => boolean | Promise<boolean>

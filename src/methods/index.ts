import authRefresh from './auth-refresh.js'
import broadcast from './broadcast.js'
import history from './history.js'
import presence from './presence.js'
import presenceCount from './presence-count.js'
import publish from './publish.js'
import rpcDiscover from './rpc-discover.js'
import rpcPing from './rpc-ping.js'
import selfReply from './self-reply.js'
import subscribe from './subscribe.js'
import unsubscribe from './unsubscribe.js'
import type { Method } from './method.js'

/**
 * Methods every server answers. Embedders add their own with the plugin's `methods` option. A tuple, so that
 * `BuiltinMethods` (types.ts) knows each one's name, params and result.
 */
export const builtinMethods = [broadcast, selfReply, subscribe, unsubscribe, publish, presence, presenceCount, history, authRefresh, rpcDiscover, rpcPing] as const satisfies readonly Method[]

import authRefresh from './auth-refresh.js'
import broadcast from './broadcast.js'
import history from './history.js'
import presence from './presence.js'
import presenceCount from './presence-count.js'
import publish from './publish.js'
import selfReply from './self-reply.js'
import subscribe from './subscribe.js'
import unsubscribe from './unsubscribe.js'
import type { Method } from './method.js'

/** Methods every server answers. Embedders add their own with the plugin's `methods` option. */
export const builtinMethods: readonly Method[] = [broadcast, selfReply, subscribe, unsubscribe, publish, presence, presenceCount, history, authRefresh]

import broadcast from './broadcast.js'
import selfReply from './self-reply.js'
import type { Method } from '../rpc/method.js'

/** Methods every server answers. Embedders add their own with the plugin's `methods` option. */
export const builtinMethods: readonly Method[] = [broadcast, selfReply]

import Type, { type Static } from 'typebox'
import { ServerEnv } from './server-env.js'
import { PubSubEnv } from './pubsub-env.js'
import { SecurityEnv } from './security-env.js'

/** The whole configuration: one schema, read from the environment and overridable by plugin options. */
export const WsEnv = Type.Object({
  ...ServerEnv.properties,
  ...PubSubEnv.properties,
  ...SecurityEnv.properties
})
export type WsEnv = Static<typeof WsEnv>

export type AdapterName = WsEnv['WS_PUBSUB_ADAPTER']

/** `WS_PUBSUB_ENABLED=false` means the in-process loop, whatever adapter is named. */
export function effectiveAdapter (config: WsEnv): AdapterName {
  return config.WS_PUBSUB_ENABLED ? config.WS_PUBSUB_ADAPTER : 'local'
}

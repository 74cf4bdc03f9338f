import { effectiveAdapter, type WsEnv } from '../config/env.js'
import type { Logger } from '../logger.js'
import type { PubSubAdapter } from './adapter.js'
import { LocalAdapter } from './local.js'

export function createAdapter (config: WsEnv, _log: Logger): PubSubAdapter {
  const name = effectiveAdapter(config)
  switch (name) {
    case 'local':
      return new LocalAdapter()
    default:
      throw new Error(`WS_PUBSUB_ADAPTER=${name} is not available in this build`)
  }
}

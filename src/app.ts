import fp from 'fastify-plugin'
import fastifyWebsocket from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import configPlugin, { type ConfigOptions } from '../plugins/config.js'
import metricsPlugin from '../plugins/metrics.js'
import hubPlugin from '../plugins/hub.js'
import pubsubPlugin from '../plugins/pubsub.js'
import rpcPlugin, { type RpcOptions } from '../plugins/rpc.js'
import authPlugin from '../plugins/auth.js'
import rateLimitPlugin from '../plugins/rate-limit.js'
import upgradeGuardPlugin from '../plugins/upgrade-guard.js'
import wsRoute from '../routes/ws.js'
import healthRoute from '../routes/health.js'
import metricsRoute from '../routes/metrics.js'
import { holdTickShape } from './runtime/tick-shape.js'

/**
 * permessage-deflate is opt-in: it costs CPU per message and zlib memory per connection that uses it. No context
 * takeover keeps that memory from growing with the conversation; ws checks WS_MAX_PAYLOAD_BYTES against the
 * inflated size, so a small compressed frame cannot expand past the limit (1009).
 */
function deflateOptions (config: FastifyInstance['wsConfig']) {
  if (!config.WS_PERMESSAGE_DEFLATE) return false
  return { threshold: config.WS_DEFLATE_THRESHOLD_BYTES, serverNoContextTakeover: true, clientNoContextTakeover: true }
}

/** Options of the plugin a host app registers; every `WS_*` knob not given here comes from the environment. */
export interface WsServerOptions extends ConfigOptions, RpcOptions {}

async function wsServer (fastify: FastifyInstance, opts: WsServerOptions) {
  holdTickShape()
  await fastify.register(configPlugin, { config: opts.config })
  await fastify.register(metricsPlugin)
  await fastify.register(hubPlugin)
  await fastify.register(pubsubPlugin)
  await fastify.register(rpcPlugin, { methods: opts.methods })
  await fastify.register(rateLimitPlugin)
  await fastify.register(authPlugin)
  await fastify.register(upgradeGuardPlugin)
  if (!fastify.hasDecorator('websocketServer')) {
    await fastify.register(fastifyWebsocket, {
      options: {
        maxPayload: fastify.wsConfig.WS_MAX_PAYLOAD_BYTES,
        // the hub tracks clients; a second set in ws would only cost memory
        clientTracking: false,
        perMessageDeflate: deflateOptions(fastify.wsConfig)
      }
    })
  }
  await fastify.register(wsRoute)
  await fastify.register(healthRoute)
  await fastify.register(metricsRoute)
}

/** The whole server as one plugin: `/ws`, `/health` and `/metrics`, with its hooks kept to itself. */
export default fp(wsServer, { name: 'ws-server', fastify: '5.x', encapsulate: true })

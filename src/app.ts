import fp from 'fastify-plugin'
import fastifyWebsocket, { type WebsocketPluginOptions } from '@fastify/websocket'
import type { FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { authHooks } from '../plugins/auth.js'
import { unlessRefused } from '../plugins/in-band-refusal.js'
import channelsPlugin from '../plugins/channels.js'
import hubPlugin from '../plugins/hub.js'
import metricsPlugin from '../plugins/metrics.js'
import pubsubPlugin from '../plugins/pubsub.js'
import { rateLimitHook } from '../plugins/rate-limit.js'
import { upgradeGuards } from '../plugins/upgrade-guards.js'
import apiRoute from '../routes/api.js'
import healthRoute from '../routes/health.js'
import metricsRoute from '../routes/metrics.js'
import wsRoute from '../routes/ws.js'
import type { AdapterName } from './pubsub/builtin-adapters.js'
import type { Authorize } from './channels/authorize.js'
import type { HistoryRule } from './channels/history-policies.js'
import type { WsOptions } from './config/options.js'
import { OptionError, resolveOptions } from './config/resolve-options.js'
import { createCore, type Core } from './core.js'
import type { WsHub } from './handle.js'
import type { PubSubAdapter } from './pubsub/adapter.js'
import type { Method } from './methods/method.js'
import { BEARER_PROTOCOL_PREFIX, SUBPROTOCOL } from './subprotocol.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** The hub's handle for host code: `broadcast`, `connections`, `disconnect`, `connect`/`disconnect` events. */
    wsHub: WsHub
  }
}

/** The plugin's options: every knob is optional, with the default of its `WS_*` variable (docs/configuration.md). */
export interface WsServerOptions extends Partial<Omit<WsOptions, 'pubsubAdapter'>> {
  /** A built-in adapter by name (default `local`), or an object implementing `PubSubAdapter`. */
  pubsubAdapter?: AdapterName | PubSubAdapter
  /** Methods to answer beside the built-in ones (`broadcast`, `self.reply`, channels, presence). Default: none. */
  methods?: readonly Method[]
  /**
   * Decides each client's `subscribe`, `publish` and `presence` on a channel: true allows, false answers -32010.
   * May return a promise. Default: a JWT's `channels`/`publish` claims where it has them, else every action allowed
   * (`channelPublish: 'server'` still stops client publishes).
   */
  authorize?: Authorize
  /**
   * Each channel's history: `{ size, ttlMs }` (either may be left out for the default), `{ size: 0 }` for none, or
   * undefined for the defaults (`historySize`, `historyTtlMs`). Asked once per channel name and cached.
   */
  history?: HistoryRule
}

/**
 * What ws-server gives @fastify/websocket. permessage-deflate is opt-in: it costs CPU per message and zlib memory
 * per connection; no context takeover keeps that memory from growing, and ws checks `maxPayload` against the
 * inflated size, so a small compressed frame cannot expand past the limit (1009).
 */
export function websocketOptions (options: WsOptions): WebsocketPluginOptions {
  return {
    options: {
      maxPayload: options.maxPayloadBytes,
      // the hub tracks clients; a second set in ws would only cost memory
      clientTracking: false,
      perMessageDeflate: options.permessageDeflate
        ? { threshold: options.deflateThresholdBytes, serverNoContextTakeover: true, clientNoContextTakeover: true }
        : false,
      handleProtocols: chooseProtocol
    }
  }
}

/**
 * The protocol echoed in the 101: ours when offered (the client also offers its token as `bearer.…`, which must
 * never come back), else the first offered, as ws does without this option, so other clients see no change.
 */
function chooseProtocol (offered: Set<string>): string | false {
  if (offered.has(SUBPROTOCOL)) return SUBPROTOCOL
  // /ws took the token entry off already; this keeps it from being echoed on any other route too
  for (const name of offered) if (!name.startsWith(BEARER_PROTOCOL_PREFIX)) return name
  return false
}

async function wsServer (host: FastifyInstance, given: WsServerOptions) {
  const { methods, pubsubAdapter, authorize, history, ...knobs } = given
  const custom = typeof pubsubAdapter === 'object' ? pubsubAdapter : undefined
  const options = resolveOptions(custom === undefined ? { ...knobs, pubsubAdapter } : knobs)
  const registry = new Registry()
  if (authorize !== undefined && typeof authorize !== 'function') throw new OptionError('ws-server option authorize must be a function')
  if (history !== undefined && typeof history !== 'function') throw new OptionError('ws-server option history must be a function')
  const core = createCore(options, { log: host.log, registry, adapter: custom, methods, authorize, history })
  // the one decorator the host sees; everything else lives in the scope below
  host.decorate('wsHub', core.handle)
  await host.register(async function wsScope (scope) {
    await serve(scope, core, registry)
  })
}

async function serve (scope: FastifyInstance, core: Core, registry: Registry) {
  await scope.register(metricsPlugin, { registry })
  await scope.register(hubPlugin, { core })
  await scope.register(channelsPlugin, { core })
  await scope.register(pubsubPlugin, { core })
  const rateLimit = await rateLimitHook(scope, core)
  const auth = await authHooks(scope, core)
  const { checkOrigin, checkCapacity } = upgradeGuards(core)
  // a host that serves WebSockets itself registered @fastify/websocket first; we reuse it
  if (!scope.hasDecorator('websocketServer')) await scope.register(fastifyWebsocket, websocketOptions(core.options))
  // the token comes off the protocol header before anything can log or echo it; rate limit before auth: it also
  // caps token guessing; capacity last, nearest the upgrade it guards. An upgrade refused in-band skips the rest
  const guards = [checkOrigin, auth.authenticate, checkCapacity].map(unlessRefused)
  await scope.register(wsRoute, { core, onRequest: [auth.takeProtocolToken, rateLimit, ...guards] })
  await scope.register(healthRoute, { core })
  await scope.register(metricsRoute, { registry, authenticate: auth.authenticateMetrics })
  if (core.options.apiEnabled) await scope.register(apiRoute, { prefix: '/api', core, authenticate: auth.authenticateApi })
}

/** The whole server as one plugin: `/ws`, `/health` and `/metrics` with their hooks kept to themselves, and `app.wsHub`. */
export default fp(wsServer, { name: 'ws-server', fastify: '5.x' })

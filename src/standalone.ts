import Fastify, { type FastifyInstance } from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import wsServer, { websocketOptions, type WsServerOptions } from './app.js'
import { serializeRequest } from './auth/redact-url.js'
import type { Environment } from './config/env.js'
import { resolveOptions } from './config/resolve-options.js'
import { serializeError } from './logger.js'
import { parseTrustProxy } from './config/trust-proxy.js'

/**
 * The server as the process runs it: Fastify built from the process's settings, @fastify/websocket at the root
 * (so an upgrade answered by any route, a 404 included, has its socket closed after the answer), and the plugin.
 */
export async function buildStandalone (env: Environment, extra: Pick<WsServerOptions, 'methods' | 'authorize'> = {}): Promise<FastifyInstance> {
  const settings = env.process
  const app = Fastify({
    // tokens never reach the log: the header is redacted, and `access_token` is masked in the logged URL
    logger: { level: settings.WS_LOG_LEVEL, redact: ['req.headers.authorization'], serializers: { req: serializeRequest, err: serializeError } },
    trustProxy: parseTrustProxy(settings.WS_TRUST_PROXY) ?? false,
    // a TCP connection silent this long before its upgrade completes is destroyed (ws clears it on the sockets it takes)
    connectionTimeout: settings.WS_HANDSHAKE_TIMEOUT_MS,
    // sockets are closed by the hub on shutdown; idle keep-alive HTTP connections must not hold the process
    forceCloseConnections: 'idle',
    // a channel name in /api/channels/:channel/presence may be 128 characters; Fastify's default stops at 100
    routerOptions: { maxParamLength: 128 }
  })
  await app.register(fastifyWebsocket, websocketOptions(resolveOptions(env.options)))
  await app.register(wsServer, { ...env.options, ...extra })
  return app
}

import type { FastifyInstance, onRequestHookHandler } from 'fastify'
import type { Core } from '../src/core.js'
import { attachConnection } from '../src/hub/connection.js'
import { closeRefused } from '../src/hub/refused-upgrade.js'
import { credentialOf } from '../plugins/auth.js'
import { refusalOf } from '../plugins/in-band-refusal.js'

export interface WsRouteOptions {
  core: Core
  /** Run in order before the upgrade; each may answer instead (429, 403, 401, 503), or refuse it in-band. */
  onRequest: onRequestHookHandler[]
}

export default async function wsRoute (scope: FastifyInstance, { core, onRequest }: WsRouteOptions) {
  const deps = { hub: core.hub, dispatcher: core.dispatcher, messageRate: core.messageRate, userConnections: core.userConnections }
  const { fastPath, log } = core.hub
  scope.get('/ws', { websocket: true, onRequest }, (socket, request) => {
    // @fastify/websocket's 'error' listener closes over request and reply; ours goes on first, so the socket
    // is never without one, and the listener is swapped rather than deleted (a deleted key slows `_events`)
    const upgradeErrorListeners = socket.listeners('error')
    const refusal = refusalOf(request)
    // WS_REFUSE_IN_BAND: upgraded only to be told why, so a browser can read it; never joins the hub
    if (refusal === undefined) attachConnection(socket, deps, credentialOf(request))
    else closeRefused(socket, refusal, log)
    for (const listener of upgradeErrorListeners) socket.removeListener('error', listener as (err: Error) => void)
    fastPath.releaseUpgrade(request.raw)
  })
}

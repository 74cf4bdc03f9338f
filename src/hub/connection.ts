import type { WebSocket } from 'ws'
import type { Credential } from '../auth/credential.js'
import { CloseCode } from '../close-codes.js'
import type { Dispatcher } from '../rpc/dispatcher.js'
import type { MessageRate } from '../rate/message-rate.js'
import { refuseFrame } from '../rate/refusal.js'
import type { Client } from './client.js'
import type { Hub } from './hub.js'

export interface ConnectionDeps {
  hub: Hub
  dispatcher: Dispatcher
  /** Per-connection message rate; undefined when rate limiting is off. */
  messageRate?: MessageRate | undefined
  /** WS_MAX_CONNECTIONS_PER_USER (src/limits/user-connections.ts); undefined when unlimited. */
  userConnections?: { admit (client: Client): void, release (client: Client): void } | undefined
}

/**
 * Registers a fresh socket with the hub and routes its frames to the dispatcher.
 * Listeners go on synchronously: a frame may arrive before any await resolves.
 * Nothing from the upgrade request is captured here, so it can be collected once the handshake is over.
 */
export function attachConnection (socket: WebSocket, deps: ConnectionDeps, credential?: Credential): Client {
  const { hub, dispatcher, messageRate, userConnections } = deps
  const client = hub.add(socket, credential?.identity)
  if (credential !== undefined) {
    client.grants = credential.grants
    client.expireAt(credential.expiresAt)
  }
  userConnections?.admit(client)
  hub.fastPath.onMessage(socket, (data, isBinary) => {
    hub.metrics.messagesReceived.inc()
    // after the server's close frame, or once shutdown (or the drain, for this client) began, nothing more is run:
    // an unanswered request was not run
    if (socket.readyState !== 1 || hub.isStopping || client.isLeaving) return
    if (isBinary) {
      client.close(CloseCode.UnsupportedData, 'binary frames are not supported')
      return
    }
    if (messageRate !== undefined) {
      const decision = messageRate.take(client, performance.now())
      if (decision.isFlooding) {
        // frames already in flight after the close frame are dropped, not counted again
        if (socket.readyState === 1) {
          hub.metrics.rateLimited.inc()
          client.close(CloseCode.PolicyViolation, 'message rate exceeded')
        }
        return
      }
      if (decision.waitMs > 0) {
        refuse(client, data.toString(), decision.waitMs)
        return
      }
    }
    const answer = dispatcher.handleFrame(data.toString(), client)
    if (answer !== undefined) hub.inFlight.track(answer, client)
  })
  socket.on('pong', () => { client.isAlive = true })
  socket.on('close', (code, reason) => {
    hub.remove(client, code, reason.toString())
    userConnections?.release(client)
  })
  socket.on('error', (err) => {
    hub.log.debug({ clientId: client.id, err }, 'socket error')
  })
  if (hub.isStopping) client.close(CloseCode.GoingAway, 'server shutting down')
  return client
}

function refuse (client: Client, text: string, waitMs: number) {
  const { reply, refused, dropped } = refuseFrame(text, waitMs)
  const metrics = client.hub.metrics
  metrics.rateLimited.inc(refused + dropped)
  if (refused > 0) metrics.rpcErrors.labels('-32029').inc(refused)
  if (reply !== undefined && client.send(reply)) metrics.messagesSent.inc()
}

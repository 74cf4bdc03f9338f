import type { WebSocket, RawData } from 'ws'
import { CloseCode } from '../close-codes.js'
import type { Dispatcher } from '../rpc/dispatcher.js'
import type { MessageRate } from '../rate/message-rate.js'
import { refuseFrame } from '../rate/refusal.js'
import type { Client } from './client.js'
import type { Hub } from './hub.js'
import { readShortTextFrames } from './text-frame-reader.js'

export interface ConnectionDeps {
  hub: Hub
  dispatcher: Dispatcher
  /** Per-connection message rate; undefined when rate limiting is off. */
  messageRate?: MessageRate | undefined
}

/**
 * Registers a fresh socket with the hub and routes its frames to the dispatcher.
 * Listeners go on synchronously: a frame may arrive before any await resolves.
 * Nothing from the upgrade request is captured here, so it can be collected once the handshake is over.
 */
export function attachConnection (socket: WebSocket, deps: ConnectionDeps, identity?: string): Client {
  const { hub, dispatcher, messageRate } = deps
  const client = hub.add(socket, identity)
  function onText (text: string) {
    hub.metrics.messagesReceived.inc()
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
        refuse(client, text, decision.waitMs)
        return
      }
    }
    dispatcher.handleFrame(text, client)
  }
  readShortTextFrames(socket, onText)
  socket.on('message', (data: RawData, isBinary: boolean) => {
    if (!isBinary) {
      onText(data.toString())
      return
    }
    hub.metrics.messagesReceived.inc()
    client.close(CloseCode.UnsupportedData, 'binary frames are not supported')
  })
  socket.on('pong', () => { client.isAlive = true })
  socket.on('close', () => { hub.remove(client) })
  socket.on('error', (err) => {
    hub.log.debug({ clientId: client.id, err }, 'socket error')
  })
  return client
}

function refuse (client: Client, text: string, waitMs: number) {
  const { reply, refused, dropped } = refuseFrame(text, waitMs)
  const metrics = client.hub.metrics
  metrics.rateLimited.inc(refused + dropped)
  if (refused > 0) metrics.rpcErrors.labels('-32029').inc(refused)
  if (reply !== undefined && client.send(reply)) metrics.messagesSent.inc()
}

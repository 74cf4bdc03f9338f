import type { WebSocket, RawData } from 'ws'
import { CloseCode } from '../close-codes.js'
import type { Dispatcher } from '../rpc/dispatcher.js'
import type { Client } from './client.js'
import type { Hub } from './hub.js'

export interface ConnectionDeps {
  hub: Hub
  dispatcher: Dispatcher
}

/**
 * Registers a fresh socket with the hub and routes its frames to the dispatcher.
 * Listeners go on synchronously: a frame may arrive before any await resolves.
 * Nothing from the upgrade request is captured here, so it can be collected once the handshake is over.
 */
export function attachConnection (socket: WebSocket, deps: ConnectionDeps, identity?: string): Client {
  const { hub, dispatcher } = deps
  const client = hub.add(socket, identity)
  socket.on('message', (data: RawData, isBinary: boolean) => {
    hub.metrics.messagesReceived.inc()
    if (isBinary) {
      client.close(CloseCode.UnsupportedData, 'binary frames are not supported')
      return
    }
    dispatcher.handleFrame(data.toString(), client)
  })
  socket.on('pong', () => { client.isAlive = true })
  socket.on('close', () => { hub.remove(client) })
  socket.on('error', (err) => {
    hub.log.debug({ clientId: client.id, err }, 'socket error')
  })
  return client
}

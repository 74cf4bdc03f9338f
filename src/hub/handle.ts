import { EventEmitter } from 'node:events'
import { CloseCode } from '../close-codes.js'
import { broadcastNotification } from '../methods/broadcast.js'
import type { Fanout } from '../pubsub/fanout.js'
import type { Client } from './client.js'
import type { Hub } from './hub.js'

/** What the host learns of a client: its id (unique across instances) and the token label it authenticated with. */
export interface ClientInfo {
  readonly id: string
  readonly identity: string | undefined
}

export interface WsHubEvents {
  connect: [client: ClientInfo]
  disconnect: [client: ClientInfo, code: number, reason: string]
}

/**
 * The one handle a host app drives the hub with (`app.wsHub`). It reaches this instance's clients directly and
 * every instance's through the adapter; channels and presence will sit beside `broadcast`.
 */
export class WsHub extends EventEmitter<WsHubEvents> {
  readonly #hub: Hub
  readonly #fanout: Fanout

  constructor (hub: Hub, fanout: Fanout) {
    super()
    this.#hub = hub
    this.#fanout = fanout
    hub.listener = {
      connected: (client: Client) => this.emit('connect', client),
      disconnected: (client: Client, code: number, reason: string) => this.emit('disconnect', client, code, reason)
    }
  }

  /** This instance's id, the prefix of its clients' ids. */
  get instanceId (): string {
    return this.#hub.instanceId
  }

  /** Open connections on this instance. */
  get connections (): number {
    return this.#hub.size
  }

  /**
   * Sends `text` to every client on every instance, once, as the `broadcast` method does, with `from: "server"`.
   * Resolves once the broker confirmed it; rejects (an `RpcError` with code -32001) when it did not.
   */
  async broadcast (text: string): Promise<void> {
    if (typeof text !== 'string') throw new TypeError('wsHub.broadcast(text): text must be a string')
    await this.#fanout.broadcast(broadcastNotification(text, 'server'))
  }

  /**
   * Closes one client of this instance with `code` (1000, or 3000–4999 for the host's own meanings).
   * Returns false when no such client is connected here.
   */
  disconnect (clientId: string, code: number = CloseCode.Normal, reason: string = ''): boolean {
    if (code !== CloseCode.Normal && !(code >= 3000 && code <= 4999 && Number.isInteger(code))) {
      throw new RangeError(`wsHub.disconnect: close code ${code} is not 1000 or 3000-4999`)
    }
    if (Buffer.byteLength(reason) > 123) throw new RangeError('wsHub.disconnect: the reason must fit 123 bytes')
    const client = this.#hub.get(clientId)
    if (client === undefined) return false
    client.close(code, reason)
    return true
  }
}

import { EventEmitter } from 'node:events'
import { assertChannelName } from './channels/channel-name.js'
import type { Channels, PresenceResult, Published } from './channels/channels.js'
import type { HistoryRequest, HistoryResult } from './channels/history.js'
import { instanceOf, isHostCloseCode, type Commands } from './channels/commands.js'
import { broadcastNotification } from './channels/notification.js'
import type { Client, ClientInfo } from './hub/client.js'
import type { Hub } from './hub/hub.js'
import type { Shutdown } from './hub/shutdown.js'
import type { Fanout } from './pubsub/fanout.js'

export interface WsHubEvents {
  connect: [client: ClientInfo]
  disconnect: [client: ClientInfo, code: number, reason: string]
}

export interface WsHubParts {
  hub: Hub
  fanout: Fanout
  channels: Channels
  commands: Commands
  shutdown: Shutdown
}

/**
 * The one handle a host app drives the hub with (`app.wsHub`). It reaches this instance's clients directly and
 * every instance's through the adapter: a client of another instance by a command its instance carries out.
 * Server-side calls are trusted: `authorize` and `channelPublish` apply to clients only.
 */
export class WsHub extends EventEmitter<WsHubEvents> {
  readonly #hub: Hub
  readonly #fanout: Fanout
  readonly #channels: Channels
  readonly #commands: Commands
  readonly #shutdown: Shutdown

  constructor ({ hub, fanout, channels, commands, shutdown }: WsHubParts) {
    super()
    this.#hub = hub
    this.#fanout = fanout
    this.#channels = channels
    this.#commands = commands
    this.#shutdown = shutdown
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
   * Sends `data` (any JSON value) to every subscriber of `channel` on every instance, as
   * `{"method":"message","params":{"channel","data","from":"server"}}`. Resolves once the broker confirmed it, with
   * the message's `offset` and `epoch` in the channel's history (0 and "" when the channel keeps none); rejects with
   * an `RpcError` -32001 when it did not, and with a TypeError for a bad channel name or no data.
   */
  async publish (channel: string, data: unknown): Promise<Published> {
    assertChannelName(channel, 'wsHub.publish(channel, data)')
    if (data === undefined) throw new TypeError('wsHub.publish(channel, data): data must be a JSON value')
    return this.#channels.publish(channel, data, 'server')
  }

  /**
   * What `channel`'s history keeps, as the `history` method answers: `{ publications, epoch, offset }`, oldest first
   * (newest first with `reverse`), at most `limit`, only after `since` when given. Rejects with an `RpcError` -32012
   * when `since` cannot be continued from (another epoch, or trimmed), -32001 when the store did not answer.
   */
  async history (channel: string, options: HistoryRequest = {}): Promise<HistoryResult> {
    assertChannelName(channel, 'wsHub.history(channel)')
    return this.#channels.history.read(channel, options)
  }

  /** Who is subscribed to `channel` on every instance: `{ channel, count, clients: [{ id, user? }] }`. */
  async presence (channel: string): Promise<PresenceResult> {
    assertChannelName(channel, 'wsHub.presence(channel)')
    return this.#channels.presence(channel)
  }

  /**
   * Subscribes a connected client to `channel` (with `presence: true`, it also gets join/leave notifications).
   * A client of this instance: resolves true once subscribed (the broker confirmed the channel), false when it is
   * not connected; rejects -32011 at its channel cap, -32001 when the broker did not confirm. A client of another
   * instance: resolves true once the broker confirmed the command, which that instance carries out (it ignores it
   * when the client is gone, and logs a failure); rejects -32001 when the command was not confirmed.
   */
  async subscribe (clientId: string, channel: string, options: { presence?: boolean } = {}): Promise<boolean> {
    assertChannelName(channel, 'wsHub.subscribe(clientId, channel)')
    return this.#commands.perform(options.presence === true
      ? { op: 'subscribe', client: clientId, channel, presence: true }
      : { op: 'subscribe', client: clientId, channel })
  }

  /** Unsubscribes a connected client from `channel`; resolves as `subscribe` does (true: done here, or forwarded). */
  async unsubscribe (clientId: string, channel: string): Promise<boolean> {
    assertChannelName(channel, 'wsHub.unsubscribe(clientId, channel)')
    return this.#commands.perform({ op: 'unsubscribe', client: clientId, channel })
  }

  /**
   * Closes one client with `code` (1000, or 3000–4999 for the host's own meanings), on any instance.
   * A client of this instance: closed at once; returns false when it is not connected. A client of another
   * instance: returns true at once, the command having been handed to the broker; that instance closes it if it
   * is still connected. A command the broker does not take is logged, not thrown (the HTTP API awaits it instead).
   */
  disconnect (clientId: string, code: number = 1000, reason: string = ''): boolean {
    if (!isHostCloseCode(code)) throw new RangeError(`wsHub.disconnect: close code ${code} is not 1000 or 3000-4999`)
    if (Buffer.byteLength(reason) > 123) throw new RangeError('wsHub.disconnect: the reason must fit 123 bytes')
    if (instanceOf(clientId) === '') return false
    if (!this.#commands.isLocal(clientId)) {
      this.#commands.forward({ op: 'disconnect', client: clientId, code, reason })
        .catch((err) => this.#hub.log.warn({ err: err.cause ?? err, clientId }, 'disconnect command not published'))
      return true
    }
    const client = this.#hub.get(clientId)
    if (client === undefined) return false
    client.close(code, reason)
    return true
  }

  /**
   * Closes every connection of `user` (the client's identity: its token's name, or its JWT's `sub`) on every
   * instance, with `code` (1000, or 3000–4999) and `reason` (≤ 123 bytes). This instance's are closed at once, and
   * the number returned is how many; the others get a command through the broker, each closing its own. A command
   * the broker does not take is logged, not thrown (`POST /api/users/:user/disconnect` awaits it and answers 503).
   */
  disconnectUser (user: string, code: number = 1000, reason: string = ''): number {
    if (typeof user !== 'string' || user === '') throw new TypeError('wsHub.disconnectUser(user): user must be a non-empty string')
    if (!isHostCloseCode(code)) throw new RangeError(`wsHub.disconnectUser: close code ${code} is not 1000 or 3000-4999`)
    if (Buffer.byteLength(reason) > 123) throw new RangeError('wsHub.disconnectUser: the reason must fit 123 bytes')
    const closed = this.#commands.disconnectUser(user, code, reason)
    this.#commands.forwardToAll({ op: 'disconnectUser', user, code, reason })
      .catch((err) => this.#hub.log.warn({ err: err.cause ?? err, user }, 'disconnectUser command not published'))
    return closed
  }

  /**
   * Starts this instance's drain, or joins the one under way: `/health/ready` answers 503 and upgrades are refused
   * at once; after `drainDelayMs` (default 0) the clients are closed with 1001 in batches spread over
   * `drainSpreadMs` (default 0: all at once), each batch once what it sent was answered. Everything else, your
   * routes included, is served meanwhile. Resolves when the last batch was closed; `app.close()` does the rest.
   * `app.close()` drains too when this was not called, but Fastify answers every HTTP request with 503 from the
   * moment it closes: call this first to keep serving them during the delay.
   */
  drain (): Promise<void> {
    return this.#shutdown.drain()
  }
}

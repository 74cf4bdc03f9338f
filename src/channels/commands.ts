import type { Hub } from '../hub/hub.js'
import type { Logger } from '../logger.js'
import type { Fanout } from '../pubsub/fanout.js'
import { CHANNEL_PATTERN } from '../pubsub/envelope.js'
import type { Channels } from './channels.js'

/** A server-side action on one client, carried out by the instance that holds it. */
export type ClientCommand =
  | { op: 'subscribe', client: string, channel: string, presence?: true }
  | { op: 'unsubscribe', client: string, channel: string }
  | { op: 'disconnect', client: string, code: number, reason: string }

/** A server-side action on every connection of one user (identity), carried out by every instance. */
export type UserCommand = { op: 'disconnectUser', user: string, code: number, reason: string }

export type Command = ClientCommand | UserCommand

/** The command target naming every instance; instance ids match `[A-Za-z0-9_-]*`, so none is `*`. */
export const EVERY_INSTANCE = '*'

/** The instance a client id belongs to: ids are `<instanceId>.<n>`, and instance ids hold no dot. */
export function instanceOf (clientId: string): string {
  const dot = clientId.indexOf('.')
  return dot === -1 ? '' : clientId.slice(0, dot)
}

/** 1000, or 3000–4999 for an application's own meanings (RFC 6455 §7.4.2). */
export function isHostCloseCode (code: unknown): code is number {
  return code === 1000 || (Number.isInteger(code) && (code as number) >= 3000 && (code as number) <= 4999)
}

/**
 * Server-side subscribe, unsubscribe and disconnect by client id, on any instance: a client of this instance
 * directly, another instance's as a `command` envelope on the global channel, which only its instance carries out.
 */
export class Commands {
  readonly #hub: Hub
  readonly #fanout: Fanout
  readonly #channels: Channels
  readonly #log: Logger

  constructor (hub: Hub, fanout: Fanout, channels: Channels, log: Logger) {
    this.#hub = hub
    this.#fanout = fanout
    this.#channels = channels
    this.#log = log
  }

  isLocal (clientId: string): boolean {
    return instanceOf(clientId) === this.#hub.instanceId
  }

  /**
   * Here: true once carried out, false when the client is not connected. Elsewhere: true once the broker confirmed
   * the command (its instance carries it out, or ignores it when the client is gone); rejects -32001 otherwise.
   */
  async perform (command: ClientCommand): Promise<boolean> {
    if (this.isLocal(command.client)) return this.carryOut(command)
    if (instanceOf(command.client) === '') return false
    await this.forward(command)
    return true
  }

  /** Publishes the command to the client's instance; resolves once the broker confirmed it. */
  forward (command: ClientCommand): Promise<void> {
    return this.#fanout.publish({ kind: 'command', instance: instanceOf(command.client) }, Buffer.from(JSON.stringify(command)))
  }

  /** Publishes the command to every instance, this one included; resolves once the broker confirmed it. */
  forwardToAll (command: UserCommand): Promise<void> {
    return this.#fanout.publish({ kind: 'command', instance: EVERY_INSTANCE }, Buffer.from(JSON.stringify(command)))
  }

  /** Closes this instance's connections of `user`; returns how many were open. */
  disconnectUser (user: string, code: number, reason: string): number {
    let closed = 0
    for (const client of this.#hub.clients()) {
      if (client.identity !== user || !client.isOpen) continue
      client.close(code, reason)
      closed++
    }
    return closed
  }

  /** False when the client is not connected here (for a user command: when none of its connections is). */
  async carryOut (command: Command): Promise<boolean> {
    if (command.op === 'disconnectUser') return this.disconnectUser(command.user, command.code, command.reason) > 0
    const client = this.#hub.get(command.client)
    if (client === undefined) return false
    switch (command.op) {
      case 'subscribe':
        // no answer goes to the client, so its live messages need not wait for one
        (await this.#channels.subscribe(client, command.channel, command.presence === true, false)).release()
        return true
      case 'unsubscribe':
        await this.#channels.unsubscribe(client, command.channel)
        return true
      case 'disconnect':
        client.close(command.code, command.reason)
        return true
    }
  }

  /** A command envelope addressed to this instance; a malformed one is logged and dropped, never thrown. */
  run (payload: Buffer) {
    const command = readCommand(payload)
    if (command === undefined) {
      this.#log.warn({ payload: payload.subarray(0, 200).toString() }, 'malformed command dropped')
      return
    }
    this.carryOut(command).then(
      (found) => { if (!found) this.#log.debug({ command }, 'command for a client that is not connected here') },
      (err) => this.#log.warn({ err: err.cause ?? err, command }, 'command failed'))
  }
}

function readCommand (payload: Buffer): Command | undefined {
  let value: Record<string, unknown>
  try {
    value = JSON.parse(payload.toString())
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object') return undefined
  if (value.op === 'disconnectUser' && typeof value.user === 'string' && isCloseable(value.code, value.reason)) {
    return { op: 'disconnectUser', user: value.user, code: value.code as number, reason: value.reason as string }
  }
  if (typeof value.client !== 'string') return undefined
  const { op, client, channel } = value
  const isChannel = typeof channel === 'string' && CHANNEL_PATTERN.test(channel)
  if (op === 'subscribe' && isChannel) return value.presence === true ? { op, client, channel, presence: true } : { op, client, channel }
  if (op === 'unsubscribe' && isChannel) return { op, client, channel }
  if (op === 'disconnect' && isCloseable(value.code, value.reason)) return { op, client, code: value.code as number, reason: value.reason as string }
  return undefined
}

/** A close code and reason a host may send: 1000 or 3000–4999, and a reason within a close frame's 123 bytes. */
export function isCloseable (code: unknown, reason: unknown): boolean {
  return isHostCloseCode(code) && typeof reason === 'string' && Buffer.byteLength(reason) <= 123
}

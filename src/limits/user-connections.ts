import { CloseCode } from '../close-codes.js'
import type { Client } from '../hub/client.js'
import type { Logger } from '../logger.js'
import type { PresenceStore } from '../pubsub/presence.js'

/** Presence keys of the per-user count start with `#`, which no channel name holds (`CHANNEL_PATTERN`). */
export const RESERVED_KEY_PREFIX = '#'

/** The presence key counting `user`'s connections on every instance. */
export function userKey (user: string): string {
  return `${RESERVED_KEY_PREFIX}user:${Buffer.from(user).toString('base64url')}`
}

export function isReservedKey (key: string): boolean {
  return key.startsWith(RESERVED_KEY_PREFIX)
}

/**
 * WS_MAX_CONNECTIONS_PER_USER across the instances, in the adapter's presence store (its leases drop a dead
 * instance's connections). A connection joins its user's key first and reads the count after: two racing
 * connections both count each other, so both may be refused, never both admitted past the limit. Its frames are not
 * read until it is admitted.
 */
export class UserConnections {
  readonly #store: PresenceStore
  readonly #limit: number
  readonly #log: Logger
  readonly #admissions = new Map<Client, Promise<void>>()

  constructor (store: PresenceStore, limit: number, log: Logger) {
    this.#store = store
    this.#limit = limit
    this.#log = log
  }

  /** Counts a new connection in; closes it with 4429 past the limit, 1013 when the count cannot be read. */
  admit (client: Client) {
    const user = client.identity
    if (user === undefined) return
    const key = userKey(user)
    client.pauseReading()
    const admission = this.#store.join(key, { id: client.id, user })
      .then(() => this.#store.countNow?.(key) ?? this.#store.count(key))
      .then((count) => {
        if (count > this.#limit) {
          this.#log.debug({ clientId: client.id, user, count }, 'connection refused: too many for this user')
          client.close(CloseCode.TooManyConnectionsForUser, 'too many connections for this user')
        } else {
          client.resumeReading()
        }
      }, (err) => {
        this.#log.warn({ err, clientId: client.id }, 'connection refused: the user\'s connection count was not read')
        client.close(CloseCode.TryAgainLater, 'connection count unavailable')
      })
    this.#admissions.set(client, admission)
  }

  /** The connection closed: it leaves its user's count once its join is done. */
  release (client: Client) {
    const admission = this.#admissions.get(client)
    if (admission === undefined) return
    this.#admissions.delete(client)
    admission
      .then(() => this.#store.leave(userKey(client.identity!), client.id))
      .catch((err) => this.#log.warn({ err, clientId: client.id }, 'leaving the user\'s connection count failed'))
  }
}

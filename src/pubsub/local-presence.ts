import type { PresenceMember, PresenceStore } from './presence.js'

/**
 * Presence held in this process: the store used when the adapter brings none (`local`, or a custom adapter without
 * `presence`). With one instance it is the whole truth; with several, each instance sees its own members only.
 */
export class LocalPresence implements PresenceStore {
  readonly #channels = new Map<string, Map<string, PresenceMember>>()

  async join (channel: string, member: PresenceMember) {
    let members = this.#channels.get(channel)
    if (members === undefined) {
      members = new Map()
      this.#channels.set(channel, members)
    }
    members.set(member.id, member.user === undefined ? { id: member.id } : { id: member.id, user: member.user })
  }

  async leave (channel: string, clientId: string) {
    const members = this.#channels.get(channel)
    if (members === undefined) return
    members.delete(clientId)
    if (members.size === 0) this.#channels.delete(channel)
  }

  async members (channel: string): Promise<PresenceMember[]> {
    return [...(this.#channels.get(channel)?.values() ?? [])]
  }

  async count (channel: string): Promise<number> {
    return this.#channels.get(channel)?.size ?? 0
  }

  async channels (): Promise<Array<{ channel: string, count: number }>> {
    return [...this.#channels].map(([channel, members]) => ({ channel, count: members.size }))
  }

  async close () {
    this.#channels.clear()
  }
}

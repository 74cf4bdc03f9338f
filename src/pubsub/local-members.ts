import type { PresenceMember } from './presence.js'

/** This process's own presence members by channel: what a broker store writes again after the broker lost them. */
export class LocalMembers {
  readonly #byChannel = new Map<string, Map<string, PresenceMember>>()

  add (channel: string, member: PresenceMember) {
    let members = this.#byChannel.get(channel)
    if (members === undefined) {
      members = new Map()
      this.#byChannel.set(channel, members)
    }
    members.set(member.id, member)
  }

  /** False when the client was not a member here. */
  remove (channel: string, clientId: string): boolean {
    const members = this.#byChannel.get(channel)
    if (members === undefined || !members.delete(clientId)) return false
    if (members.size === 0) this.#byChannel.delete(channel)
    return true
  }

  has (channel: string): boolean {
    return this.#byChannel.has(channel)
  }

  members (channel: string): PresenceMember[] {
    return [...(this.#byChannel.get(channel)?.values() ?? [])]
  }

  count (channel: string): number {
    return this.#byChannel.get(channel)?.size ?? 0
  }

  channels (): Array<{ channel: string, count: number }> {
    return [...this.#byChannel].map(([channel, members]) => ({ channel, count: members.size }))
  }

  * entries (): Generator<[string, PresenceMember]> {
    for (const [channel, members] of this.#byChannel) {
      for (const member of members.values()) yield [channel, member]
    }
  }
}

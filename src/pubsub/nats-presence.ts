import { randomBytes } from 'node:crypto'
import { Events, StorageType, type KV, type KvEntry, type NatsConnection, type QueuedIterator } from 'nats'
import type { Logger } from '../logger.js'
import type { PresenceMember, PresenceStore } from './presence.js'
import { LocalMembers } from './local-members.js'
import { NatsRollCall } from './nats-roll-call.js'

export interface NatsPresenceOptions {
  /** The deployment's subject; the buckets are named after it. */
  subject: string
  instanceId: string
  leaseMs: number
  /** How long a read without the buckets waits for another instance's answer (`pubsubPublishTimeoutMs`). */
  answerTimeoutMs: number
  /** Whether the adapter holds a confirmed connection. */
  isLinked: () => boolean
  log: Logger
}

interface Entry { owner: string, channel: string, member: PresenceMember }

/**
 * Presence in two JetStream KV buckets (memory storage): one entry per member (`<channel>.<client id>`, both
 * base64url, as KV keys allow neither `:` nor `@`), and one lease per owner (this process) renewed three times per
 * lease. Each instance watches both buckets and answers from its mirror, so a read costs no round trip and a join
 * elsewhere shows here a few milliseconds after it was stored. Members of an owner whose lease is older than a
 * lease are left out, and swept from the bucket by the live owner with the smallest name.
 *
 * Until both mirrors are complete (JetStream is off, the buckets could not be opened, a reconnect is re-reading
 * them), a read asks every instance instead (`NatsRollCall`). Answering with this instance's members alone would
 * read as a plausible, wrong count; a gathered one is exact, and when it cannot be (an instance did not answer) the
 * read fails with -32001 instead.
 */
export class NatsPresence implements PresenceStore {
  readonly #options: NatsPresenceOptions
  /** Unique per process: a restarted instance with the same id does not revive its predecessor's entries. */
  readonly #owner: string
  readonly #buckets: { members: string, leases: string }
  readonly #local = new LocalMembers()
  readonly #rollCall: NatsRollCall
  /** Other owners' members by channel, then client id. */
  readonly #mirror = new Map<string, Map<string, Entry>>()
  /** When each owner last renewed, as this process saw it. */
  readonly #leases = new Map<string, number>()
  #members: KV | undefined
  #leaseKv: KV | undefined
  #watchers: Array<QueuedIterator<KvEntry>> = []
  #initialized = 0
  #timer: NodeJS.Timeout | undefined
  #attaching: Promise<void> | undefined
  #warned = false
  #closing = false

  constructor (options: NatsPresenceOptions) {
    this.#options = options
    this.#owner = `${options.instanceId}-${randomBytes(4).toString('hex')}`
    const base = options.subject.replace(/[^A-Za-z0-9_-]/g, '_')
    this.#buckets = { members: `${base}_presence`, leases: `${base}_leases` }
    this.#rollCall = new NatsRollCall({
      subject: options.subject,
      owner: this.#owner,
      leaseMs: options.leaseMs,
      answerTimeoutMs: options.answerTimeoutMs,
      local: this.#local,
      isLinked: options.isLinked
    })
  }

  /** Opens the buckets on `connection` and mirrors them; again after each reconnect (a restarted server lost them). */
  attach (connection: NatsConnection) {
    this.#timer ??= setInterval(() => { this.#renew().catch(() => {}) }, Math.max(100, Math.floor(this.#options.leaseMs / 3))).unref()
    this.#rollCall.attach(connection)
    this.#open(connection)
    ;(async () => {
      for await (const status of connection.status()) {
        if (status.type !== Events.Reconnect || this.#closing) continue
        this.#rollCall.beat()
        this.#open(connection)
      }
    })().catch(() => {})
  }

  #open (connection: NatsConnection) {
    this.#attaching = this.#attach(connection).catch((err: Error) => {
      if (this.#closing || connection.isClosed()) return
      if (!this.#warned) this.#options.log.warn({ err: err.message, bucket: this.#buckets.members }, 'NATS presence buckets unavailable (is JetStream on?); presence asks every instance instead')
      this.#warned = true
    })
  }

  async #attach (connection: NatsConnection) {
    for (const watcher of this.#watchers.splice(0)) watcher.stop()
    this.#mirror.clear()
    this.#leases.clear()
    this.#initialized = 0
    const views = connection.jetstream({ timeout: 5_000 }).views
    this.#members = await views.kv(this.#buckets.members, { history: 1, storage: StorageType.Memory })
    this.#leaseKv = await views.kv(this.#buckets.leases, { history: 1, storage: StorageType.Memory, ttl: this.#options.leaseMs })
    await this.#leaseKv.put(this.#owner, '1')
    await Promise.all([...this.#local.entries()].map(([channel, member]) => this.#write(channel, member)))
    await this.#watch(this.#leaseKv, (entry, initial) => {
      // a stored lease is as old as the server says; a renewal seen live is as old as now, whatever the clocks
      if (entry.operation === 'PUT') this.#leases.set(entry.key, initial ? entry.created.getTime() : Date.now())
      else this.#leases.delete(entry.key)
    })
    await this.#watch(this.#members, (entry) => this.#mirrorEntry(entry))
  }

  async #watch (kv: KV, apply: (entry: KvEntry, initial: boolean) => void) {
    let initial = true
    const watcher = await kv.watch({ initializedFn: () => { initial = false; this.#initialized++ } })
    this.#watchers.push(watcher)
    ;(async () => {
      for await (const entry of watcher) apply(entry, initial)
    })().catch(() => {})
  }

  #mirrorEntry (entry: KvEntry) {
    const [channelKey, clientKey] = entry.key.split('.')
    const channel = Buffer.from(channelKey ?? '', 'base64url').toString()
    const clientId = Buffer.from(clientKey ?? '', 'base64url').toString()
    let members = this.#mirror.get(channel)
    if (entry.operation === 'PUT') {
      let value: Entry
      try {
        value = entry.json<Entry>()
      } catch {
        return
      }
      if (value.owner === this.#owner) return
      if (members === undefined) {
        members = new Map()
        this.#mirror.set(channel, members)
      }
      members.set(clientId, value)
    } else if (members !== undefined) {
      members.delete(clientId)
      if (members.size === 0) this.#mirror.delete(channel)
    }
  }

  async #renew () {
    const kv = this.#leaseKv
    if (kv === undefined || this.#closing) return
    await kv.put(this.#owner, '1')
    // both mirrors complete: a lease missing from them is really missing, not yet read
    if (this.#initialized < 2) return
    const dead = new Set<string>()
    for (const members of this.#mirror.values()) {
      for (const entry of members.values()) if (!this.#isLive(entry.owner)) dead.add(entry.owner)
    }
    const sweeper = [...this.#leases.keys()].filter((owner) => this.#isLive(owner)).concat(this.#owner).sort()[0]
    if (dead.size === 0 || sweeper !== this.#owner) return
    for (const [channel, members] of this.#mirror) {
      for (const [clientId, entry] of members) {
        if (dead.has(entry.owner)) await this.#members?.delete(this.#key(channel, clientId))
      }
    }
    for (const owner of dead) this.#leases.delete(owner)
  }

  #isLive (owner: string): boolean {
    return owner === this.#owner || (this.#leases.get(owner) ?? -Infinity) > Date.now() - this.#options.leaseMs
  }

  async join (channel: string, member: PresenceMember) {
    this.#local.add(channel, member)
    // while NATS is away the member waits here; the next attach writes it
    await this.#write(channel, member).catch(() => {})
  }

  async leave (channel: string, clientId: string) {
    if (!this.#local.remove(channel, clientId)) return
    await this.#members?.delete(this.#key(channel, clientId)).catch(() => {})
  }

  /** Both mirrors are complete: they hold every instance's members, so a read needs no round trip. */
  get #isMirrored () {
    return this.#initialized >= 2
  }

  async members (channel: string): Promise<PresenceMember[]> {
    const members = this.#local.members(channel)
    if (!this.#isMirrored) return members.concat(...await this.#rollCall.ask<PresenceMember[]>({ kind: 'members', channel }))
    for (const entry of this.#mirror.get(channel)?.values() ?? []) {
      if (this.#isLive(entry.owner)) members.push(entry.member)
    }
    return members
  }

  async count (channel: string): Promise<number> {
    let count = this.#local.count(channel)
    if (!this.#isMirrored) return (await this.#rollCall.ask<number>({ kind: 'count', channel })).reduce((sum, n) => sum + n, count)
    for (const entry of this.#mirror.get(channel)?.values() ?? []) {
      if (this.#isLive(entry.owner)) count++
    }
    return count
  }

  /**
   * Read from the bucket, not the mirror, which may not have another instance's confirmed join yet: this process's
   * members, plus each entry of another owner whose lease is still in the lease bucket (it expires there on its own).
   */
  async countNow (channel: string): Promise<number> {
    const members = this.#members
    const leases = this.#leaseKv
    if (members === undefined || leases === undefined) return this.count(channel)
    let count = this.#local.count(channel)
    const live = new Map<string, boolean>()
    // the keys first: a read inside the iteration ends it early
    const keys: string[] = []
    for await (const key of await members.keys(`${Buffer.from(channel).toString('base64url')}.*`)) keys.push(key)
    for (const key of keys) {
      const entry = await members.get(key)
      if (entry === null || entry.operation !== 'PUT') continue
      const { owner } = entry.json<Entry>()
      if (owner === this.#owner) continue
      let isLive = live.get(owner)
      if (isLive === undefined) {
        isLive = (await leases.get(owner))?.operation === 'PUT'
        live.set(owner, isLive)
      }
      if (isLive) count++
    }
    return count
  }

  async channels (): Promise<Array<{ channel: string, count: number }>> {
    const counts = new Map(this.#local.channels().map(({ channel, count }) => [channel, count]))
    if (!this.#isMirrored) {
      for (const answer of await this.#rollCall.ask<Array<{ channel: string, count: number }>>({ kind: 'channels' })) {
        for (const { channel, count } of answer) counts.set(channel, (counts.get(channel) ?? 0) + count)
      }
      return [...counts].map(([channel, count]) => ({ channel, count }))
    }
    for (const [channel, members] of this.#mirror) {
      for (const entry of members.values()) {
        if (this.#isLive(entry.owner)) counts.set(channel, (counts.get(channel) ?? 0) + 1)
      }
    }
    return [...counts].map(([channel, count]) => ({ channel, count }))
  }

  /** Takes this process's entries out at once, rather than leaving them to lapse. */
  async close () {
    this.#closing = true
    clearInterval(this.#timer)
    await this.#rollCall.close()
    await this.#attaching
    const deletes = [...this.#local.entries()].map(([channel, member]) => this.#members?.delete(this.#key(channel, member.id)))
    await Promise.allSettled([...deletes, this.#leaseKv?.delete(this.#owner)])
    for (const watcher of this.#watchers.splice(0)) watcher.stop()
  }

  async #write (channel: string, member: PresenceMember) {
    const entry: Entry = { owner: this.#owner, channel, member }
    await this.#members?.put(this.#key(channel, member.id), JSON.stringify(entry))
  }

  #key (channel: string, clientId: string) {
    return `${Buffer.from(channel).toString('base64url')}.${Buffer.from(clientId).toString('base64url')}`
  }
}

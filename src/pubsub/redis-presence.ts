import { randomBytes } from 'node:crypto'
import type { Redis } from 'ioredis'
import type { Logger } from '../logger.js'
import type { PresenceMember, PresenceStore } from './presence.js'
import { LocalMembers } from './local-members.js'

export interface RedisPresenceOptions {
  /** Every key starts with `<prefix>:presence:`. */
  prefix: string
  instanceId: string
  leaseMs: number
  log: Logger
}

// an entry's value is its owner, a newline, then the member as JSON; readers skip owners whose lease has lapsed
const LIVE_ENTRIES = `
local cache = {}
local function live (value)
  local owner = string.match(value, '^[^\\n]*')
  local known = cache[owner]
  if known == nil then
    known = redis.call('EXISTS', ARGV[1] .. owner) == 1
    cache[owner] = known
  end
  return known
end
`
const MEMBERS = LIVE_ENTRIES + `
local all = redis.call('HGETALL', KEYS[1])
local out = {}
for i = 2, #all, 2 do
  if live(all[i]) then out[#out + 1] = all[i] end
end
if ARGV[2] == 'count' then return #out end
return out
`
const CHANNELS = LIVE_ENTRIES + `
local out = {}
for _, channel in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local all = redis.call('HGETALL', ARGV[2] .. channel)
  local n = 0
  for i = 2, #all, 2 do
    if live(all[i]) then n = n + 1 end
  end
  if n > 0 then
    out[#out + 1] = channel
    out[#out + 1] = n
  end
end
return out
`
const JOIN = `
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[3])
redis.call('SADD', KEYS[4], ARGV[4])
`
const LEAVE = `
redis.call('HDEL', KEYS[1], ARGV[1])
if redis.call('HLEN', KEYS[1]) == 0 then redis.call('SREM', KEYS[2], ARGV[2]) end
if ARGV[3] == '1' then redis.call('SREM', KEYS[3], ARGV[2]) end
`
// removes the entries of every owner whose lease lapsed (ARGV[3] = '') or of one owner (ARGV[3]), and the owner
const SWEEP = `
local function sweep (owner)
  local mark = owner .. '\\n'
  for _, channel in ipairs(redis.call('SMEMBERS', ARGV[2] .. 'owner:' .. owner)) do
    local key = ARGV[2] .. 'ch:' .. channel
    local all = redis.call('HGETALL', key)
    for i = 1, #all, 2 do
      if string.sub(all[i + 1], 1, #mark) == mark then redis.call('HDEL', key, all[i]) end
    end
    if redis.call('HLEN', key) == 0 then redis.call('SREM', KEYS[2], channel) end
  end
  redis.call('DEL', ARGV[2] .. 'owner:' .. owner, ARGV[1] .. owner)
  redis.call('SREM', KEYS[1], owner)
end
if ARGV[3] ~= '' then
  sweep(ARGV[3])
  return 1
end
local swept = 0
for _, owner in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.call('EXISTS', ARGV[1] .. owner) == 0 then
    sweep(owner)
    swept = swept + 1
  end
end
return swept
`

type Scripted = Redis & {
  wsPresenceMembers (hash: string, leasePrefix: string, mode: string): Promise<string[] | number>
  wsPresenceChannels (channels: string, leasePrefix: string, hashPrefix: string): Promise<Array<string | number>>
  wsPresenceJoin (hash: string, channels: string, ownerChannels: string, owners: string, clientId: string, value: string, channel: string, owner: string): Promise<void>
  wsPresenceLeave (hash: string, channels: string, ownerChannels: string, clientId: string, channel: string, lastHere: string): Promise<void>
  wsPresenceSweep (owners: string, channels: string, leasePrefix: string, keyPrefix: string, owner: string): Promise<number>
}

/**
 * Presence in Redis: a hash per channel (client id → owner + member), a set of channels, and per owner (this process)
 * a lease key with a TTL renewed three times per lease. Readers count only entries whose owner's lease is alive, so
 * a killed instance's clients drop out within one lease; the next renewal of any instance sweeps them away. Each
 * write goes straight to Redis, so another instance reads it at once. The members are also kept here, and written
 * again whenever the lease had lapsed (Redis restarted, or this process stalled and was swept).
 */
export class RedisPresence implements PresenceStore {
  readonly #options: RedisPresenceOptions
  readonly #client: () => Redis | undefined
  /** Unique per process: a restarted instance with the same id does not revive its predecessor's entries. */
  readonly #owner: string
  readonly #keys: { base: string, lease: string, channels: string, owners: string, ownerChannels: string }
  readonly #local = new LocalMembers()
  readonly #defined = new WeakSet<Redis>()
  #timer: NodeJS.Timeout | undefined
  #renewing: Promise<void> | undefined

  constructor (client: () => Redis | undefined, options: RedisPresenceOptions) {
    this.#client = client
    this.#options = options
    this.#owner = `${options.instanceId}:${randomBytes(4).toString('hex')}`
    const base = `${options.prefix}:presence:`
    this.#keys = { base, lease: `${base}lease:`, channels: `${base}channels`, owners: `${base}owners`, ownerChannels: `${base}owner:${this.#owner}` }
  }

  /** Starts renewing; call once the connection exists. The adapter also calls `renew` on each (re)connect. */
  start () {
    this.#timer ??= setInterval(() => { this.renew().catch(() => {}) }, Math.max(100, Math.floor(this.#options.leaseMs / 3))).unref()
  }

  /** Extends this process's lease; when it had lapsed, writes every local member again, then sweeps lapsed owners. */
  renew (): Promise<void> {
    this.#renewing ??= this.#renew().finally(() => { this.#renewing = undefined })
    return this.#renewing
  }

  async #renew () {
    const client = this.#ready()
    if (client === undefined) return
    try {
      const previous = await client.set(this.#keys.lease + this.#owner, '1', 'PX', this.#options.leaseMs, 'GET')
      if (previous === null) {
        for (const [channel, member] of this.#local.entries()) await this.#write(client, channel, member)
      }
      await client.wsPresenceSweep(this.#keys.owners, this.#keys.channels, this.#keys.lease, this.#keys.base, '')
    } catch (err) {
      if (client.status === 'ready') this.#options.log.warn({ err }, 'renewing the presence lease failed')
    }
  }

  async join (channel: string, member: PresenceMember) {
    this.#local.add(channel, member)
    const client = this.#ready()
    // while Redis is away the member waits here; the renewal after the reconnect writes it
    if (client === undefined) return
    await this.#write(client, channel, member)
  }

  async leave (channel: string, clientId: string) {
    if (!this.#local.remove(channel, clientId)) return
    const client = this.#ready()
    if (client === undefined) return
    await client.wsPresenceLeave(this.#hash(channel), this.#keys.channels, this.#keys.ownerChannels, clientId, channel, this.#local.has(channel) ? '0' : '1')
  }

  async members (channel: string): Promise<PresenceMember[]> {
    const client = this.#ready()
    if (client === undefined) return this.#local.members(channel)
    const values = await client.wsPresenceMembers(this.#hash(channel), this.#keys.lease, 'members') as string[]
    return values.map((value) => JSON.parse(value.slice(value.indexOf('\n') + 1)))
  }

  async count (channel: string): Promise<number> {
    const client = this.#ready()
    if (client === undefined) return this.#local.count(channel)
    return await client.wsPresenceMembers(this.#hash(channel), this.#keys.lease, 'count') as number
  }

  async channels (): Promise<Array<{ channel: string, count: number }>> {
    const client = this.#ready()
    if (client === undefined) return this.#local.channels()
    const flat = await client.wsPresenceChannels(this.#keys.channels, this.#keys.lease, this.#keys.base + 'ch:')
    const out: Array<{ channel: string, count: number }> = []
    for (let i = 0; i + 1 < flat.length; i += 2) out.push({ channel: String(flat[i]), count: Number(flat[i + 1]) })
    return out
  }

  /** Takes this process's entries out at once, rather than leaving them to lapse. */
  async close () {
    clearInterval(this.#timer)
    this.#timer = undefined
    const client = this.#ready()
    if (client === undefined) return
    await client.wsPresenceSweep(this.#keys.owners, this.#keys.channels, this.#keys.lease, this.#keys.base, this.#owner).catch(() => {})
  }

  #write (client: Scripted, channel: string, member: PresenceMember) {
    const value = `${this.#owner}\n${JSON.stringify(member)}`
    return client.wsPresenceJoin(this.#hash(channel), this.#keys.channels, this.#keys.ownerChannels, this.#keys.owners, member.id, value, channel, this.#owner)
  }

  #hash (channel: string) {
    return `${this.#keys.base}ch:${channel}`
  }

  #ready (): Scripted | undefined {
    const client = this.#client()
    if (client === undefined || client.status !== 'ready') return undefined
    if (!this.#defined.has(client)) {
      this.#defined.add(client)
      client.defineCommand('wsPresenceMembers', { numberOfKeys: 1, lua: MEMBERS })
      client.defineCommand('wsPresenceChannels', { numberOfKeys: 1, lua: CHANNELS })
      client.defineCommand('wsPresenceJoin', { numberOfKeys: 4, lua: JOIN })
      client.defineCommand('wsPresenceLeave', { numberOfKeys: 3, lua: LEAVE })
      client.defineCommand('wsPresenceSweep', { numberOfKeys: 2, lua: SWEEP })
    }
    return client as Scripted
  }
}

/** Channel names and `prefix:*` patterns, as a token's `channels` or `publish` claim lists them. */
export class ChannelPatterns {
  readonly #names: Set<string>
  readonly #prefixes: string[]

  constructor (entries: readonly string[]) {
    this.#names = new Set(entries.filter((entry) => !entry.endsWith('*')))
    // `room:*` is the prefix `room:` (so `roomy:1` is not in it); a lone `*` is every channel
    this.#prefixes = entries.filter((entry) => entry.endsWith('*')).map((entry) => entry.slice(0, -1))
  }

  /** A claim's value, or a sentence saying why it is not one; undefined stays undefined (no claim). */
  static parse (claim: unknown, name: string): ChannelPatterns | string | undefined {
    if (claim === undefined) return undefined
    if (!Array.isArray(claim)) return `the ${name} claim is not an array`
    for (const entry of claim) {
      if (typeof entry !== 'string' || !PATTERN.test(entry)) return `the ${name} claim holds an entry that is not a channel name or a prefix:* pattern`
    }
    return new ChannelPatterns(claim as string[])
  }

  matches (channel: string): boolean {
    if (this.#names.has(channel)) return true
    for (const prefix of this.#prefixes) {
      if (channel.startsWith(prefix)) return true
    }
    return false
  }
}

// a channel name (channel-name.ts), or `*` alone, or a name ending in `:*`
const PATTERN = /^(?:[A-Za-z0-9_.:@-]{1,128}|\*|[A-Za-z0-9_.:@-]{0,126}:\*)$/

/**
 * The channel rules a token carries. `channels` covers subscribe, presence and history; `publish` covers publishing,
 * and when it is absent publishing follows `channels`. Without either claim the token limits nothing.
 */
export class ChannelGrants {
  readonly #channels: ChannelPatterns | undefined
  readonly #publish: ChannelPatterns | undefined

  constructor (channels: ChannelPatterns | undefined, publish: ChannelPatterns | undefined) {
    this.#channels = channels
    this.#publish = publish
  }

  /** The grants in a verified token's payload, undefined when it has neither claim, or why the claims are refused. */
  static fromClaims (payload: Record<string, unknown>): ChannelGrants | string | undefined {
    const channels = ChannelPatterns.parse(payload.channels, 'channels')
    if (typeof channels === 'string') return channels
    const publish = ChannelPatterns.parse(payload.publish, 'publish')
    if (typeof publish === 'string') return publish
    if (channels === undefined && publish === undefined) return undefined
    return new ChannelGrants(channels, publish)
  }

  /** Why the action is refused (the `reason` of -32010), or undefined when the claims allow it. */
  refusal (action: 'subscribe' | 'publish' | 'presence' | 'history', channel: string): string | undefined {
    if (action === 'publish') {
      if (this.#publish !== undefined) return this.#publish.matches(channel) ? undefined : 'not in the token\'s publish claim'
    }
    if (this.#channels === undefined) return undefined
    return this.#channels.matches(channel) ? undefined : 'not in the token\'s channels claim'
  }
}

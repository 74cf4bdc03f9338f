import { isIP } from 'node:net'
import Type from 'typebox'

/** Who may connect and how hard they may push. Every knob has a row in the README's Security section. */
export const SecurityEnv = Type.Object({
  WS_AUTH_ENABLED: Type.Boolean({ default: false }),
  WS_BEARER_TOKENS: Type.String({ default: '' }),
  WS_METRICS_TOKEN: Type.String({ default: '' }),
  WS_RATE_LIMIT_ENABLED: Type.Boolean({ default: false }),
  WS_RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 100 }),
  WS_RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1, default: 60_000 }),
  WS_MESSAGE_RATE_PER_SECOND: Type.Number({ exclusiveMinimum: 0, default: 100 }),
  WS_MESSAGE_BURST: Type.Integer({ minimum: 1, default: 200 }),
  WS_MESSAGE_FLOOD_LIMIT: Type.Integer({ minimum: 1, default: 1_000 }),
  // false, true, a hop count, or a comma-separated list of proxy addresses/CIDRs (Fastify's trustProxy); checked by parseTrustProxy
  WS_TRUST_PROXY: Type.String({ default: 'false' }),
  WS_HANDSHAKE_TIMEOUT_MS: Type.Integer({ minimum: 100, default: 10_000 }),
  WS_MAX_CONNECTIONS: Type.Integer({ minimum: 1, default: 10_000 }),
  WS_MAX_BATCH_LENGTH: Type.Integer({ minimum: 1, default: 100 }),
  // 0: as long as WS_MAX_PAYLOAD_BYTES lets it be
  WS_MAX_TEXT_LENGTH: Type.Integer({ minimum: 0, default: 0 }),
  WS_ALLOWED_ORIGINS: Type.String({ default: '' })
})

export type TrustProxy = boolean | string | ((address: string, hop: number) => boolean)

// proxy-addr's names for address ranges, accepted in the list like addresses
const RANGE_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal'])

/** `WS_TRUST_PROXY` as Fastify's `trustProxy` option, or undefined when it is not one (Fastify would throw on it). */
export function parseTrustProxy (value: string | undefined): TrustProxy | undefined {
  const text = (value ?? '').trim()
  if (text === '' || text === 'false') return false
  if (text === 'true') return true
  // a hop count: trust the nearest n proxies, as Fastify does for a number
  if (/^[0-9]+$/.test(text)) {
    const hops = Number(text)
    return (_address, hop) => hop < hops
  }
  const entries = text.split(',').map((entry) => entry.trim())
  return entries.every(isProxyEntry) ? entries.join(',') : undefined
}

function isProxyEntry (entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true
  const [address, bits, ...rest] = entry.split('/')
  const family = isIP(address ?? '')
  if (family === 0 || rest.length > 0) return false
  return bits === undefined || (/^[0-9]+$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128))
}

/** Knobs Fastify must see at construction, before the config plugin validates them (bad values fail there). */
export function serverOptionsFromEnv (env: Record<string, string | undefined>) {
  const handshakeMs = Number(env.WS_HANDSHAKE_TIMEOUT_MS ?? 10_000)
  return {
    // an unreadable value trusts no one here; the config plugin then stops start-up naming it
    trustProxy: parseTrustProxy(env.WS_TRUST_PROXY) ?? false,
    // idle socket timeout: a TCP connection silent this long before its upgrade completes is destroyed
    // (ws clears it on the upgraded socket, where the heartbeat takes over)
    connectionTimeout: Number.isInteger(handshakeMs) && handshakeMs >= 100 ? handshakeMs : 10_000
  }
}

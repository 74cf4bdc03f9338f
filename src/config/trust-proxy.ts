import { isIP } from 'node:net'

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

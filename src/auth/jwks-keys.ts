import buildGetJwks from 'get-jwks'
import { ASYMMETRIC_ALGORITHMS } from './jwt-key.js'

/** After a fetch that did not find a `kid` (or failed), unknown `kid`s are refused unfetched for this long. */
export const JWKS_MISS_COOLDOWN_MS = 30_000

/**
 * The public keys of one JWKS URL, by `kid`, through get-jwks (cached a minute, then fetched again; a stale key
 * serves while the endpoint is down). A `kid` not in the cache fetches the set again, so a key added at the endpoint
 * is used without a restart; but after a fetch that did not find one, every unknown `kid` is refused without
 * fetching for JWKS_MISS_COOLDOWN_MS, so made-up `kid`s cannot turn each upgrade into a request to the endpoint.
 */
export class JwksKeys {
  readonly #jwks: buildGetJwks.GetJwks
  readonly #domain: string
  #missedAt = -Infinity

  constructor (url: URL) {
    this.#domain = url.origin
    this.#jwks = buildGetJwks({ jwksPath: url.pathname + url.search })
  }

  /** The PEM for the token's header; rejects when it names no usable `kid` or the set does not hold it. */
  async key (header: { kid?: unknown, alg?: unknown }): Promise<string> {
    const { kid, alg } = header
    if (typeof kid !== 'string' || typeof alg !== 'string' || !ASYMMETRIC_ALGORITHMS.includes(alg)) {
      throw new Error('the token names no kid, or an algorithm a JWKS key cannot verify')
    }
    const cacheKey = this.#jwks.generateCacheKey(alg, kid, this.#domain + '/')
    const isKnown = this.#jwks.cache.get(cacheKey) !== undefined || this.#jwks.staleCache.get(cacheKey) !== undefined
    if (!isKnown && performance.now() - this.#missedAt < JWKS_MISS_COOLDOWN_MS) {
      throw new Error('unknown kid; the JWKS was fetched for another unknown kid moments ago')
    }
    try {
      return await this.#jwks.getPublicKey({ domain: this.#domain, alg, kid })
    } catch (err) {
      if (!isKnown) this.#missedAt = performance.now()
      throw err
    }
  }
}

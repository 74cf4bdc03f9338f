import type { FastifyRequest, onRequestHookHandler } from 'fastify'
import type { UpgradeRefusal } from '../src/hub/refused-upgrade.js'

/** Upgrades refused in-band, with what to close them with; kept off the host's request type. */
const refusals = new WeakMap<FastifyRequest, UpgradeRefusal>()

/** The refusal to close this upgrade with once it is completed; undefined when it was admitted. */
export function refusalOf (request: FastifyRequest): UpgradeRefusal | undefined {
  return refusals.get(request)
}

/**
 * For a `/ws` hook that refuses: with `inBand` (WS_REFUSE_IN_BAND) and a WebSocket upgrade, records the close code
 * and reason and returns true, and the hook lets the request through to routes/ws.ts, which closes the socket
 * right after the 101. Otherwise false: the hook answers over HTTP as it always has (a plain GET included).
 */
export function refuseInBand (inBand: boolean, request: FastifyRequest, code: number, reason: string): boolean {
  if (!inBand || !request.ws) return false
  refusals.set(request, { code, reason })
  return true
}

/**
 * Skips a callback-style hook for an upgrade already refused in-band, as an HTTP answer would have stopped the
 * chain: one refusal per request, and the later checks (and their metrics) never see it.
 */
export function unlessRefused (hook: onRequestHookHandler): onRequestHookHandler {
  return function checkUnlessRefused (request, reply, done) {
    if (refusals.has(request)) return done()
    return hook.call(this, request, reply, done)
  }
}

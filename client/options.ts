import type { WebSocketConstructor } from './websocket.js'

export interface HubClientOptions {
  /** A bearer token, sent as the `bearer.<base64url>` subprotocol. */
  token?: string
  /** Called before each connection attempt (so an expired token is replaced); wins over `token`. */
  getToken?: () => string | undefined | Promise<string | undefined>
  /** How long a call waits for its answer, queued time included. Default 10000. */
  timeoutMs?: number
  /** Backoff between reconnect attempts (defaults 500 and 10000 ms), or `false` to stay closed after a drop. */
  reconnect?: { minDelayMs?: number, maxDelayMs?: number } | false
  /**
   * Liveness check (defaults 25000 and 10000 ms): after `intervalMs` with nothing received, an `rpc.ping` call;
   * without any frame within `timeoutMs` of it, the connection is given up as a drop. `false`: no ping.
   */
  ping?: { intervalMs?: number, timeoutMs?: number } | false
  /** The WebSocket class to use; default the global one, else the `ws` package. */
  WebSocket?: WebSocketConstructor
}

/** The options with their defaults, checked. */
export interface Settings {
  timeoutMs: number
  minDelayMs: number
  maxDelayMs: number
  reconnects: boolean
  /** Absent with `ping: false`. */
  ping: { intervalMs: number, timeoutMs: number } | undefined
}

const DEFAULT_TIMEOUT_MS = 10_000
const DEFAULT_MIN_DELAY_MS = 500
const DEFAULT_MAX_DELAY_MS = 10_000
const DEFAULT_PING_INTERVAL_MS = 25_000
const DEFAULT_PING_TIMEOUT_MS = 10_000

/** Throws a `TypeError` or `RangeError` naming the bad URL or option. */
export function resolveSettings (url: string, options: HubClientOptions): Settings {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    throw new TypeError(`HubClient: ${JSON.stringify(url)} is not a URL`)
  }
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(parsed.protocol)) throw new TypeError(`HubClient: the URL must be ws:// or wss://, got ${parsed.protocol}//`)
  const reconnect = options.reconnect === false ? {} : options.reconnect ?? {}
  const minDelayMs = checkNumber('reconnect.minDelayMs', reconnect.minDelayMs ?? DEFAULT_MIN_DELAY_MS, 0)
  const ping = options.ping === false ? undefined : options.ping ?? {}
  return {
    timeoutMs: checkNumber('timeoutMs', options.timeoutMs ?? DEFAULT_TIMEOUT_MS, 1),
    minDelayMs,
    maxDelayMs: checkNumber('reconnect.maxDelayMs', reconnect.maxDelayMs ?? Math.max(DEFAULT_MAX_DELAY_MS, minDelayMs), minDelayMs),
    reconnects: options.reconnect !== false,
    ping: ping && {
      intervalMs: checkNumber('ping.intervalMs', ping.intervalMs ?? DEFAULT_PING_INTERVAL_MS, 1),
      timeoutMs: checkNumber('ping.timeoutMs', ping.timeoutMs ?? DEFAULT_PING_TIMEOUT_MS, 1)
    }
  }
}

function checkNumber (name: string, value: number, minimum: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum) throw new RangeError(`HubClient: ${name} must be a number >= ${minimum}, got ${String(value)}`)
  return value
}

/**
 * The refusal of a publish or subscribe while the connection to the broker is gone. It reads the same whether the
 * adapter saw the link down first or the client library failed the command first (nats.js `DISCONNECT`, ioredis
 * `Connection is closed.`); the library's error, when there is one, is the `cause`.
 */
export class BrokerUnavailableError extends Error {
  constructor (broker: 'redis' | 'nats', cause?: unknown) {
    super(`${broker} broker unavailable`, cause === undefined ? undefined : { cause })
    this.name = 'BrokerUnavailableError'
  }
}

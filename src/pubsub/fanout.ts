import type { Hub } from '../hub/hub.js'
import type { WsMetrics } from '../metrics.js'
import { pubsubUnavailable } from '../rpc/rpc-error.js'
import type { PubSubAdapter } from './adapter.js'
import type { Target } from './envelope.js'
import { MalformedLog } from './malformed-log.js'

/** Sends a serialized notification to its target on every instance, through the adapter and back. */
export class Fanout {
  readonly adapter: PubSubAdapter
  readonly #hub: Hub
  readonly #metrics: WsMetrics

  constructor (adapter: PubSubAdapter, hub: Hub, metrics: WsMetrics) {
    this.adapter = adapter
    this.#hub = hub
    this.#metrics = metrics
    adapter.onEnvelope((envelope) => {
      metrics.pubsubReceived.inc()
      hub.deliver(envelope)
    })
    const malformed = new MalformedLog(hub.log)
    adapter.onMalformed?.((err) => {
      metrics.pubsubErrors.inc()
      malformed.note(err)
    })
  }

  /**
   * Every client on every instance. Rejects with -32001 (and the adapter's reason as `cause`) when the
   * adapter could not take it, so no sender is ever told a lost message went out.
   */
  async broadcast (payload: Buffer): Promise<void> {
    try {
      await this.adapter.publish({ origin: this.#hub.instanceId, target: { kind: 'all' }, payload })
    } catch (err) {
      this.#metrics.pubsubErrors.inc()
      throw pubsubUnavailable(err)
    }
    this.#metrics.pubsubPublished.inc()
  }

  /** To `target` on every instance (a channel's subscribers, an instance's command); rejects with -32001 like `broadcast`. */
  async publish (target: Target, payload: Buffer): Promise<void> {
    try {
      await this.adapter.publish({ origin: this.#hub.instanceId, target, payload })
    } catch (err) {
      this.#metrics.pubsubErrors.inc()
      throw pubsubUnavailable(err)
    }
    this.#metrics.pubsubPublished.inc()
  }
}

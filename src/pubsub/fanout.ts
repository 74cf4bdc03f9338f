import type { Hub } from '../hub/hub.js'
import type { WsMetrics } from '../metrics.js'
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

  /** Rejects when the adapter could not take it, so the sender is never told a lost message went out. */
  async publish (target: Target, payload: Buffer): Promise<void> {
    try {
      await this.adapter.publish({ origin: this.#hub.instanceId, target, payload })
    } catch (err) {
      this.#metrics.pubsubErrors.inc()
      throw err
    }
    this.#metrics.pubsubPublished.inc()
  }
}

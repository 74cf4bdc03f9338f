import type { Hub } from '../hub/hub.js'
import type { WsMetrics } from '../metrics.js'
import { invalidParams, pubsubUnavailable } from '../rpc/rpc-error.js'
import type { PubSubAdapter } from './adapter.js'
import { DropReason } from './drop-reason.js'
import { MalformedEnvelopeError, type Target } from './envelope.js'
import type { HistoryPolicy } from './history-store.js'
import { MalformedLog } from './malformed-log.js'
import { checkPayload } from './payload-check.js'
import { spliceMessagePosition, type Position } from './position.js'

export interface FanoutLimits {
  /** The largest frame a client may send (`maxPayloadBytes`); what travels may exceed it by the notification's wrapper. */
  maxPayloadBytes: number
}

/**
 * Room for what a notification adds around a client's frame (`from`, `channel`, the method): a frame at the limit
 * must still pass every instance's check, or its sender would be acknowledged for a message nobody receives.
 */
export const NOTIFICATION_OVERHEAD_BYTES = 1024

/** Sends a serialized notification to its target on every instance, through the adapter and back. */
export class Fanout {
  readonly adapter: PubSubAdapter
  readonly #hub: Hub
  readonly #metrics: WsMetrics
  readonly #maxBytes: number

  constructor (adapter: PubSubAdapter, hub: Hub, metrics: WsMetrics, limits: FanoutLimits = { maxPayloadBytes: Infinity }) {
    this.adapter = adapter
    this.#hub = hub
    this.#metrics = metrics
    const maxBytes = this.#maxBytes = limits.maxPayloadBytes + NOTIFICATION_OVERHEAD_BYTES
    const malformed = new MalformedLog(hub.log)
    const drop = (err: MalformedEnvelopeError) => {
      metrics.pubsubErrors.labels(err.reason).inc()
      malformed.note(err)
    }
    adapter.onEnvelope((envelope) => {
      // whatever is on the channel, from us or not, is checked before any client sees it
      const problem = checkPayload(envelope, maxBytes)
      if (problem !== undefined) return drop(problem)
      if (envelope.position !== undefined) {
        // the position joins the params here, once per instance: every subscriber gets the same bytes
        const payload = spliceMessagePosition(envelope.payload, envelope.position)
        if (payload === undefined) return drop(new MalformedEnvelopeError('positioned payload is not a message notification', DropReason.NotNotification))
        envelope.payload = payload
      }
      metrics.pubsubReceived.inc()
      hub.deliver(envelope)
    })
    adapter.onMalformed?.(drop)
    adapter.onResync?.((resync) => {
      if (hub.size === 0) return
      metrics.pubsubResyncs.inc()
      hub.log.info({ reason: resync.reason, since: resync.since, clients: hub.size }, 'told clients they may have missed messages')
      hub.resync(resync)
    })
  }

  /**
   * Every client on every instance. Rejects with -32001 (and the adapter's reason as `cause`) when the
   * adapter could not take it, so no sender is ever told a lost message went out.
   */
  broadcast (payload: Buffer): Promise<void> {
    return this.publish({ kind: 'all' }, payload)
  }

  /**
   * A channel message kept in the channel's history: the store appends it and hands it on, with its position, to
   * the channel's subscribers on every instance. Resolves with the position; rejects like `broadcast`.
   */
  async append (channel: string, policy: HistoryPolicy, payload: Buffer): Promise<Position> {
    const store = this.adapter.history
    if (store === undefined) throw new Error(`the ${this.adapter.name} adapter keeps no history`)
    if (payload.length > this.#maxBytes) throw invalidParams({ message: `the notification would be ${payload.length} bytes, over ${this.#maxBytes}` })
    let position: Position
    try {
      position = await store.append(channel, policy, { origin: this.#hub.instanceId, target: { kind: 'channel', channel }, payload })
    } catch (err) {
      this.#metrics.pubsubErrors.labels(DropReason.PublishFailed).inc()
      throw pubsubUnavailable(err)
    }
    this.#metrics.pubsubPublished.inc()
    return position
  }

  /** To `target` on every instance (everyone, a channel's subscribers, an instance's command); rejects like `broadcast`. */
  async publish (target: Target, payload: Buffer): Promise<void> {
    // re-serialized data can outgrow its frame (`1e20` is written as 21 digits): refused here, never acknowledged and dropped
    if (payload.length > this.#maxBytes) throw invalidParams({ message: `the notification would be ${payload.length} bytes, over ${this.#maxBytes}` })
    try {
      await this.adapter.publish({ origin: this.#hub.instanceId, target, payload })
    } catch (err) {
      const reason = (err as { reason?: unknown }).reason === DropReason.Unconfirmed ? DropReason.Unconfirmed : DropReason.PublishFailed
      this.#metrics.pubsubErrors.labels(reason).inc()
      throw pubsubUnavailable(err)
    }
    this.#metrics.pubsubPublished.inc()
  }
}

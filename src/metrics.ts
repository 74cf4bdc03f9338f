import { Counter, Gauge, Histogram, type Registry } from 'prom-client'
import { AUTH_FAILURE_REASONS } from './auth/credential.js'
import { DurationHistogram } from './duration-histogram.js'
import { DROP_REASONS } from './pubsub/drop-reason.js'

/** Label shared by every method name that is not registered, so random names cannot grow the series. */
export const UNKNOWN_METHOD = '__unknown__'

export interface MetricsSources {
  connections: () => number
  pubsubConnected: () => boolean
  /** The hub's buffer budget total (src/hub/buffer-budget.ts). */
  bufferedBytes?: () => number
  /** Channels with a local subscriber, and (client, channel) pairs; zero when not given. */
  channels?: () => number
  subscriptions?: () => number
  /** The limits the gauges above are measured against; absent ones are not exported. */
  maxConnections?: () => number
  maxTotalBufferedBytes?: () => number
  memoryLimitBytes?: () => number
}

/** Every `ws_*` series. Hot paths hold the bound children, never look labels up per message. */
export class WsMetrics {
  readonly connections: Gauge
  readonly pubsubConnected: Gauge
  readonly connectionsTotal: Counter
  readonly messagesReceived: Counter
  readonly messagesSent: Counter
  readonly rpcErrors: Counter<'code'>
  readonly rpcDuration: DurationHistogram
  readonly pubsubPublished: Counter
  readonly pubsubReceived: Counter
  readonly pubsubErrors: Counter<'reason'>
  readonly pubsubResyncs: Counter
  readonly authFailures: Counter<'reason'>
  readonly rateLimited: Counter
  readonly slowConsumerDisconnects: Counter
  readonly bufferBudgetDisconnects: Counter
  readonly readPauses: Counter
  readonly bufferedBytes: Gauge
  readonly channels: Gauge
  readonly subscriptions: Gauge
  readonly channelMessages: Counter
  readonly subscribeDuration: Histogram
  readonly maxConnections: Gauge | undefined
  readonly maxTotalBufferedBytes: Gauge | undefined
  readonly memoryLimitBytes: Gauge | undefined

  constructor (registry: Registry, sources: MetricsSources) {
    const registers = [registry]
    this.connections = new Gauge({
      name: 'ws_connections',
      help: 'Open WebSocket connections on this instance',
      registers,
      collect () { this.set(sources.connections()) }
    })
    this.pubsubConnected = new Gauge({
      name: 'ws_pubsub_connected',
      help: '1 when the pub/sub adapter can publish and receive, else 0',
      registers,
      collect () { this.set(sources.pubsubConnected() ? 1 : 0) }
    })
    this.connectionsTotal = new Counter({ name: 'ws_connections_total', help: 'WebSocket connections accepted', registers })
    this.messagesReceived = new Counter({ name: 'ws_messages_received_total', help: 'Frames received from clients', registers })
    this.messagesSent = new Counter({ name: 'ws_messages_sent_total', help: 'Frames sent to clients', registers })
    this.rpcErrors = new Counter({ name: 'ws_rpc_errors_total', help: 'JSON-RPC errors, by code', labelNames: ['code'], registers })
    this.rpcDuration = new DurationHistogram({
      name: 'ws_rpc_duration_seconds',
      help: 'Time spent handling a JSON-RPC call, by method',
      labelName: 'method',
      buckets: [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
      registry
    })
    this.pubsubPublished = new Counter({ name: 'ws_pubsub_published_total', help: 'Envelopes handed to the pub/sub adapter', registers })
    this.pubsubReceived = new Counter({ name: 'ws_pubsub_received_total', help: 'Envelopes received from the pub/sub adapter', registers })
    this.pubsubErrors = new Counter({
      name: 'ws_pubsub_errors_total',
      help: 'Envelopes not published or not delivered, by reason (see docs/operations.md)',
      labelNames: ['reason'],
      registers
    })
    // every reason shows from the first scrape, so an alert on a rate needs no series to appear first
    for (const reason of DROP_REASONS) this.pubsubErrors.labels(reason).inc(0)
    this.pubsubResyncs = new Counter({ name: 'ws_pubsub_resyncs_total', help: 'Times this instance told its clients they may have missed messages', registers })
    this.authFailures = new Counter({
      name: 'ws_auth_failures_total',
      help: 'Upgrade (and /api) requests refused with 401 (or 4401 in-band), by reason: missing, invalid, expired, refused',
      labelNames: ['reason'],
      registers
    })
    for (const reason of AUTH_FAILURE_REASONS) this.authFailures.labels(reason).inc(0)
    this.rateLimited = new Counter({ name: 'ws_rate_limited_total', help: 'Requests and messages refused or dropped by a rate limit', registers })
    this.slowConsumerDisconnects = new Counter({
      name: 'ws_slow_consumer_disconnects_total',
      help: 'Clients closed because their unsent buffer passed WS_MAX_BUFFERED_BYTES',
      registers
    })
    this.bufferBudgetDisconnects = new Counter({
      name: 'ws_buffer_budget_disconnects_total',
      help: 'Clients closed with 4008, largest first, because all unsent buffers together passed WS_MAX_TOTAL_BUFFERED_BYTES',
      registers
    })
    this.readPauses = new Counter({
      name: 'ws_read_pauses_total',
      help: 'Times a client was not read until its unsent replies drained below half of WS_MAX_BUFFERED_BYTES',
      registers
    })
    this.bufferedBytes = new Gauge({
      name: 'ws_buffered_bytes',
      help: 'Unsent bytes of all clients together, as last counted against WS_MAX_TOTAL_BUFFERED_BYTES',
      registers,
      collect () { this.set(sources.bufferedBytes?.() ?? 0) }
    })
    // no channel label: channel names are chosen by clients, a label per name would grow without bound
    this.channels = new Gauge({
      name: 'ws_channels',
      help: 'Channels with at least one subscriber on this instance',
      registers,
      collect () { this.set(sources.channels?.() ?? 0) }
    })
    this.subscriptions = new Gauge({
      name: 'ws_subscriptions',
      help: 'Channel subscriptions of this instance\'s clients',
      registers,
      collect () { this.set(sources.subscriptions?.() ?? 0) }
    })
    this.channelMessages = new Counter({ name: 'ws_channel_messages_total', help: 'Channel messages published by this instance (clients and server)', registers })
    this.subscribeDuration = new Histogram({
      name: 'ws_pubsub_subscribe_duration_seconds',
      help: 'Time until the adapter confirmed a channel subscription (first local subscriber of a channel)',
      buckets: [0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers
    })
    // the limits as series, so an alert divides by the configured value instead of repeating it
    const { maxConnections, maxTotalBufferedBytes, memoryLimitBytes } = sources
    this.maxConnections = maxConnections && new Gauge({
      name: 'ws_max_connections',
      help: 'WS_MAX_CONNECTIONS: connections this instance accepts before upgrades get 503',
      registers,
      collect () { this.set(maxConnections()) }
    })
    this.maxTotalBufferedBytes = maxTotalBufferedBytes && new Gauge({
      name: 'ws_max_total_buffered_bytes',
      help: 'The buffer budget ws_buffered_bytes is held to (WS_MAX_TOTAL_BUFFERED_BYTES, or the automatic one)',
      registers,
      collect () { this.set(maxTotalBufferedBytes()) }
    })
    this.memoryLimitBytes = memoryLimitBytes && new Gauge({
      name: 'ws_memory_limit_bytes',
      help: 'Memory this process may use: its cgroup (container) limit, else the machine\'s memory',
      registers,
      collect () { this.set(memoryLimitBytes()) }
    })
  }
}

import type { Registry } from 'prom-client'
import { Authenticator } from './auth/authenticator.js'
import type { Authorize } from './channels/authorize.js'
import { Channels } from './channels/channels.js'
import { ChannelHistory } from './channels/history.js'
import { HistoryPolicies, type HistoryRule } from './channels/history-policies.js'
import { Commands } from './channels/commands.js'
import type { WsOptions } from './config/options.js'
import { fastPath } from './fast-path/index.js'
import { WsHub } from './handle.js'
import { autoBudgetBytes, usableMemoryBytes } from './hub/buffer-budget.js'
import { Hub } from './hub/hub.js'
import { Shutdown } from './hub/shutdown.js'
import type { Logger } from './logger.js'
import { WsMetrics } from './metrics.js'
import { builtinMethods } from './methods/index.js'
import type { Method, MethodContext } from './methods/method.js'
import { packageInfo } from './package-info.js'
import type { PubSubAdapter } from './pubsub/adapter.js'
import { builtinAdapters } from './pubsub/builtin-adapters.js'
import { Fanout } from './pubsub/fanout.js'
import { SigningKeys } from './pubsub/signing-keys.js'
import { MessageRate } from './rate/message-rate.js'
import { UserConnections } from './limits/user-connections.js'
import { Dispatcher } from './rpc/dispatcher.js'
import { openRpcDocument, type OpenRpcDocument } from './rpc/openrpc.js'

/** The framework-free objects one server is made of; the plugin wires them to Fastify. */
export interface Core {
  options: WsOptions
  metrics: WsMetrics
  hub: Hub
  adapter: PubSubAdapter
  fanout: Fanout
  channels: Channels
  commands: Commands
  dispatcher: Dispatcher<MethodContext>
  /** Per-connection message rate; undefined when rate limiting is off. */
  messageRate: MessageRate | undefined
  /** WS_MAX_CONNECTIONS_PER_USER across the instances; undefined when unlimited (0). */
  userConnections: UserConnections | undefined
  /** Static tokens and, once the auth plugin gave it its key, JWTs. */
  auth: Authenticator
  /** The drain and the hub's part of `app.close()`. */
  shutdown: Shutdown
  handle: WsHub
  /** The OpenRPC document of every method answered here (`rpc.discover`, `GET /openrpc.json`), built on first use. */
  openrpc: () => OpenRpcDocument
}

export interface CoreDeps {
  log: Logger
  registry: Registry
  /** Replaces the built-in adapter `options.pubsubAdapter` names. */
  adapter?: PubSubAdapter | undefined
  methods?: readonly Method[] | undefined
  /** The host's rule for client actions on channels; default: allow. */
  authorize?: Authorize | undefined
  /** The host's history policy per channel; default: `historySize` / `historyTtlMs` for every channel. */
  history?: HistoryRule | undefined
}

export function createCore (options: WsOptions, deps: CoreDeps): Core {
  const { log, registry } = deps
  // read at scrape time, when both exist
  const metrics = new WsMetrics(registry, {
    connections: (): number => hub.size,
    pubsubConnected: (): boolean => adapter.isConnected,
    bufferedBytes: (): number => hub.budget.total,
    channels: (): number => channels.subscriptions.channelCount,
    subscriptions: (): number => channels.subscriptions.size,
    maxConnections: (): number => options.maxConnections,
    maxTotalBufferedBytes: (): number => hub.budget.maxBytes,
    memoryLimitBytes: usableMemoryBytes
  })
  const hub: Hub = new Hub({
    instanceId: options.instanceId,
    maxBufferedBytes: options.maxBufferedBytes,
    maxTotalBufferedBytes: options.maxTotalBufferedBytes || autoBudgetBytes(),
    deflate: options.permessageDeflate,
    metrics,
    log,
    fastPath: fastPath(options.fastPath)
  })
  const adapter: PubSubAdapter = deps.adapter ?? builtinAdapters[options.pubsubAdapter]({
    channel: options.pubsubChannel,
    redisUrl: options.redisUrl,
    redisStreamMaxlen: options.redisStreamMaxlen,
    natsUrl: options.natsUrl,
    reconnect: { minMs: options.pubsubReconnectMinMs, maxMs: options.pubsubReconnectMaxMs },
    connectTimeoutMs: options.pubsubConnectTimeoutMs,
    publishTimeoutMs: options.pubsubPublishTimeoutMs,
    instanceId: hub.instanceId,
    presenceLeaseMs: options.presenceLeaseMs,
    log,
    signingKeys: SigningKeys.parse(options.pubsubSecret),
    historySize: options.historySize,
    historyTtlMs: options.historyTtlMs
  })
  const policies = new HistoryPolicies({ size: options.historySize, ttlMs: options.historyTtlMs }, deps.history)
  if (policies.mayKeep && adapter.history === undefined) {
    // the nats stream is sized by historySize, which a rule can only lower: a rule alone leaves it with no store
    const hint = adapter.name === 'nats' ? '; on nats a history rule needs WS_HISTORY_SIZE (historySize) > 0, the most any channel keeps' : ''
    throw new Error(`channel history is configured (historySize ${options.historySize}${deps.history === undefined ? '' : ', a history rule'}) but the ${adapter.name} adapter keeps no history${hint}`)
  }
  const fanout = new Fanout(adapter, hub, metrics, { maxPayloadBytes: options.maxPayloadBytes })
  const channels: Channels = new Channels({
    fanout,
    adapter,
    metrics,
    log,
    maxChannelsPerConnection: options.maxChannelsPerConnection,
    channelPublish: options.channelPublish,
    authorize: deps.authorize,
    history: new ChannelHistory(policies, adapter.history, options.historyRecoverMax)
  })
  const commands = new Commands(hub, fanout, channels, log)
  hub.routing = {
    recipients: (channel, presence) => channels.subscriptions.recipients(channel, presence),
    positioned: (channel, envelope) => channels.positioned(channel, envelope),
    channelsOf: (client) => channels.channelsOf(client),
    clientLeft: (client) => channels.clientLeft(client),
    command: (payload) => commands.run(payload)
  }
  const auth = new Authenticator(options)
  const methods = [...builtinMethods, ...(deps.methods ?? [])]
  // 0: no tighter than what one frame can carry
  const maxStringLength = options.maxTextLength || options.maxPayloadBytes
  let document: OpenRpcDocument | undefined
  const openrpc = () => {
    if (document !== undefined) return document
    const { name, version, description } = packageInfo()
    document = openRpcDocument(methods, { info: { title: name, version, ...(description === undefined ? {} : { description }) }, maxStringLength })
    return document
  }
  const dispatcher = new Dispatcher<MethodContext>({
    methods,
    context: (client) => ({ client, hub, pubsub: fanout, channels, auth, log, openrpc }),
    metrics,
    log,
    maxBatchLength: options.maxBatchLength,
    maxStringLength
  })
  const messageRate = options.rateLimitEnabled
    ? new MessageRate({ perSecond: options.messageRatePerSecond, burst: options.messageBurst, floodLimit: options.messageFloodLimit })
    : undefined
  const shutdown = new Shutdown(hub, {
    timeoutMs: options.shutdownTimeoutMs,
    drainDelayMs: options.drainDelayMs,
    drainSpreadMs: options.drainSpreadMs
  })
  const userConnections = options.maxConnectionsPerUser > 0
    ? new UserConnections(channels.presenceStore, options.maxConnectionsPerUser, log)
    : undefined
  const handle = new WsHub({ hub, fanout, channels, commands, shutdown })
  return { options, metrics, hub, adapter, fanout, channels, commands, dispatcher, messageRate, userConnections, auth, shutdown, handle, openrpc }
}

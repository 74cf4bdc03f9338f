/**
 * Why an instance tells its clients they may have missed messages:
 * - `pubsub_reconnected`: its subscription was down (a broker blip, a dropped subscriber, start-up without a broker);
 *   what was published meanwhile never reached it;
 * - `stream_gap`: `redis-streams` came back after entries it had not read were trimmed away.
 */
export const ResyncReason = {
  PubsubReconnected: 'pubsub_reconnected',
  StreamGap: 'stream_gap'
} as const
export type ResyncReason = typeof ResyncReason[keyof typeof ResyncReason]

export interface Resync {
  reason: ResyncReason
  /** Epoch ms since when messages may be missing: when the subscription was lost. */
  since: number
}

/**
 * `{"jsonrpc":"2.0","method":"resync","params":{"reason":…,"since":…,"scope":"all","channels":[…]}}`. `scope: "all"`
 * says any broadcast or channel message may be missing; `channels` names the client's subscriptions that may have
 * missed messages, so that it knows which to recover.
 */
export function resyncNotification (resync: Resync, channels: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'resync', params: { reason: resync.reason, since: resync.since, scope: 'all', channels } }))
}

import Type from 'typebox'
import { CHANNEL_PATTERN } from '../pubsub/envelope.js'

/** A channel name in params and routes: 1–128 of `[A-Za-z0-9_.:@-]` (the envelope's CHANNEL_PATTERN). */
export const ChannelName = Type.String({ minLength: 1, maxLength: 128, pattern: CHANNEL_PATTERN.source, description: '1-128 of [A-Za-z0-9_.:@-]' })

/** For host calls, which get a TypeError rather than -32602. */
export function assertChannelName (channel: unknown, where: string): asserts channel is string {
  if (typeof channel !== 'string' || !CHANNEL_PATTERN.test(channel)) {
    throw new TypeError(`${where}: channel must be 1-128 of [A-Za-z0-9_.:@-]`)
  }
}

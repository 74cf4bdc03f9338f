import Type from 'typebox'
import { CHANNEL_PATTERN } from '../pubsub/envelope.js'

/**
 * A channel name in params and routes: CHANNEL_PATTERN, written as three rules so that a bad name gets one error
 * that says what is wrong (too short, too long, or a character outside `[A-Za-z0-9_.:@-]`).
 */
export const ChannelName = Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.:@-]*$', description: '1-128 of [A-Za-z0-9_.:@-]' })

/** For host calls, which get a TypeError rather than -32602. */
export function assertChannelName (channel: unknown, where: string): asserts channel is string {
  if (typeof channel !== 'string' || !CHANNEL_PATTERN.test(channel)) {
    throw new TypeError(`${where}: channel must be 1-128 of [A-Za-z0-9_.:@-]`)
  }
}

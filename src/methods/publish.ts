import Type from 'typebox'
import { ChannelName } from '../channels/channel-name.js'
import { defineMethod } from './method.js'
import { MethodErrors } from './method-errors.js'

/**
 * Sends `data` to every subscriber of the channel on every instance; the publisher need not be subscribed. With
 * history on the channel, the answer carries the message's `offset` and `epoch` (else 0 and "").
 */
export default defineMethod({
  name: 'publish',
  summary: 'Sends `data` to every subscriber of the channel on every instance, as a `message` notification',
  errors: [MethodErrors.broadcastUnavailable, MethodErrors.notAllowed],
  params: Type.Object({ channel: ChannelName, data: Type.Unknown() }),
  result: Type.Object({ channel: Type.String(), published: Type.Boolean(), offset: Type.Integer(), epoch: Type.String() }),
  async handle ({ channel, data }, { client, channels, log }) {
    let position
    try {
      position = await channels.publishFrom(client, channel, data)
    } catch (err) {
      // the adapter's reason, not the -32001 it became
      if ((err as Error).cause !== undefined) log.warn({ err: (err as Error).cause, clientId: client.id, channel }, 'publish not confirmed')
      throw err
    }
    return { channel, published: true, ...position }
  }
})

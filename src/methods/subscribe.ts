import Type from 'typebox'
import { ChannelName } from '../channels/channel-name.js'
import { defineMethod } from './method.js'

/** Joins a channel; answers once the broker confirmed it, so a message published after the answer arrives. */
export default defineMethod({
  name: 'subscribe',
  params: Type.Object({ channel: ChannelName, presence: Type.Optional(Type.Boolean()) }),
  result: Type.Object({ channel: Type.String(), subscribed: Type.Boolean() }),
  async handle ({ channel, presence }, { client, channels, log }) {
    try {
      await channels.subscribe(client, channel, presence === true, true)
    } catch (err) {
      if ((err as Error).cause !== undefined) log.warn({ err: (err as Error).cause ?? err, clientId: client.id, channel }, 'subscribe not confirmed')
      throw err
    }
    return { channel, subscribed: true }
  }
})

import Type from 'typebox'
import { ChannelName } from '../channels/channel-name.js'
import { defineMethod } from './method.js'

/** Leaves a channel; leaving one the client is not in is not an error. */
export default defineMethod({
  name: 'unsubscribe',
  summary: 'Leaves a channel',
  params: Type.Object({ channel: ChannelName }),
  result: Type.Object({ channel: Type.String(), subscribed: Type.Boolean() }),
  async handle ({ channel }, { client, channels }) {
    await channels.unsubscribe(client, channel)
    return { channel, subscribed: false }
  }
})

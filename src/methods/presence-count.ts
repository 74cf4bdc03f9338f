import Type from 'typebox'
import { ChannelName } from '../channels/channel-name.js'
import { defineMethod } from './method.js'
import { MethodErrors } from './method-errors.js'

/** How many are subscribed to the channel on every instance, without the list: cheap enough to poll. */
export default defineMethod({
  name: 'presence.count',
  summary: 'How many are subscribed to the channel, on every instance',
  errors: [MethodErrors.presenceUnavailable, MethodErrors.notAllowed],
  params: Type.Object({ channel: ChannelName }),
  result: Type.Object({ channel: Type.String(), count: Type.Integer() }),
  async handle ({ channel }, { client, channels }) {
    await channels.check('presence', channel, client)
    return { channel, count: await channels.count(channel) }
  }
})

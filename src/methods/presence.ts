import Type from 'typebox'
import { ChannelName } from '../channels/channel-name.js'
import { defineMethod } from './method.js'
import { MethodErrors } from './method-errors.js'

/** Who is subscribed to the channel on every instance. */
export default defineMethod({
  name: 'presence',
  summary: 'Who is subscribed to the channel, on every instance',
  errors: [MethodErrors.presenceUnavailable, MethodErrors.notAllowed],
  params: Type.Object({ channel: ChannelName }),
  result: Type.Object({
    channel: Type.String(),
    count: Type.Integer(),
    clients: Type.Array(Type.Object({ id: Type.String(), user: Type.Optional(Type.String()) }))
  }),
  async handle ({ channel }, { client, channels }) {
    await channels.check('presence', channel, client)
    return channels.presence(channel)
  }
})

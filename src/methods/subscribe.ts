import Type from 'typebox'
import { ChannelName } from '../channels/channel-name.js'
import { AfterReply } from '../rpc/after-reply.js'
import { defineMethod } from './method.js'
import { MethodErrors } from './method-errors.js'
import { Publication, StreamPosition } from './publication.js'

/**
 * Joins a channel; answers once the broker confirmed it, so a message published after the answer arrives. With
 * history on the channel, the answer says where the channel stands (`epoch`, `offset`), and with `recover` it
 * carries what was published after the client's last position, in order, before any live message.
 */
export default defineMethod({
  name: 'subscribe',
  summary: 'Joins a channel: its `message` notifications (and `join`/`leave` with `presence`), recovered from history with `recover`',
  errors: [MethodErrors.subscribeUnavailable, MethodErrors.historyUnavailable, MethodErrors.notAllowed, MethodErrors.tooManyChannels],
  params: Type.Object({ channel: ChannelName, presence: Type.Optional(Type.Boolean()), recover: Type.Optional(StreamPosition) }),
  result: Type.Object({
    channel: Type.String(),
    subscribed: Type.Boolean(),
    epoch: Type.String(),
    offset: Type.Integer(),
    recovered: Type.Boolean(),
    publications: Type.Array(Publication)
  }),
  async handle ({ channel, presence, recover }, { client, channels, log }) {
    try {
      const { release, ...recovery } = await channels.subscribe(client, channel, presence === true, true, recover)
      return new AfterReply({ channel, subscribed: true, ...recovery }, release)
    } catch (err) {
      if ((err as Error).cause !== undefined) log.warn({ err: (err as Error).cause ?? err, clientId: client.id, channel }, 'subscribe not confirmed')
      throw err
    }
  }
})

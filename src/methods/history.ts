import Type from 'typebox'
import { ChannelName } from '../channels/channel-name.js'
import { defineMethod } from './method.js'
import { MethodErrors } from './method-errors.js'
import { Publication, StreamPosition } from './publication.js'

/**
 * What the channel's history keeps: oldest first, or newest first with `reverse`; only after `since` when given
 * (-32012 when that position cannot be continued from). Under the same `authorize` as `subscribe`.
 */
export default defineMethod({
  name: 'history',
  summary: 'What the channel\'s history keeps, after `since` when given',
  errors: [MethodErrors.historyUnavailable, MethodErrors.notAllowed, MethodErrors.unrecoverablePosition],
  params: Type.Object({
    channel: ChannelName,
    since: Type.Optional(StreamPosition),
    limit: Type.Optional(Type.Integer({ minimum: 0 })),
    reverse: Type.Optional(Type.Boolean())
  }),
  result: Type.Object({ publications: Type.Array(Publication), epoch: Type.String(), offset: Type.Integer() }),
  async handle ({ channel, since, limit, reverse }, { client, channels }) {
    await channels.check('history', channel, client)
    return channels.history.read(channel, { since, limit, reverse })
  }
})

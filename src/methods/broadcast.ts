import Type from 'typebox'
import { broadcastNotification } from '../channels/notification.js'
import { defineMethod } from './method.js'
import { MethodErrors } from './method-errors.js'

/** Sends `text` to every client on every instance, the sender included. */
export default defineMethod({
  name: 'broadcast',
  summary: 'Sends `text` to every client on every instance, the sender included, as a `broadcast` notification',
  errors: [MethodErrors.broadcastUnavailable],
  params: Type.Object({ text: Type.String() }),
  result: Type.Object({ published: Type.Boolean() }),
  async handle ({ text }, { client, pubsub, log }) {
    try {
      await pubsub.broadcast(broadcastNotification(text, client.id))
    } catch (err) {
      // the adapter's reason, not the -32001 it became
      log.warn({ err: (err as Error).cause ?? err, clientId: client.id }, 'broadcast not published')
      throw err
    }
    return { published: true }
  }
})

import Type from 'typebox'
import { defineMethod } from '../rpc/method.js'
import { pubsubUnavailable } from '../rpc/rpc-error.js'

/**
 * Sends `text` to every client on every instance, the sender included. The notification is
 * serialized once here; every instance hands the same bytes to each of its clients.
 */
export default defineMethod({
  name: 'broadcast',
  params: Type.Object({ text: Type.String() }),
  result: Type.Object({ published: Type.Boolean() }),
  async handle ({ text }, { client, pubsub, log }) {
    const notification = { jsonrpc: '2.0', method: 'broadcast', params: { text, from: client.id } }
    try {
      await pubsub.publish({ kind: 'all' }, Buffer.from(JSON.stringify(notification)))
    } catch (err) {
      log.warn({ err, clientId: client.id }, 'broadcast not published')
      throw pubsubUnavailable()
    }
    return { published: true }
  }
})

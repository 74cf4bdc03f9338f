import type { FastifyInstance } from 'fastify'
import { attachConnection } from '../src/hub/connection.js'

export default async function wsRoute (fastify: FastifyInstance) {
  const deps = { hub: fastify.wsHub, dispatcher: fastify.wsRpc }
  // rate limit before auth: it also caps token guessing
  fastify.get('/ws', { websocket: true, onRequest: [fastify.wsRateLimit, fastify.wsAuthenticate] }, (socket, request) => {
    attachConnection(socket, deps, request.wsIdentity)
  })
}

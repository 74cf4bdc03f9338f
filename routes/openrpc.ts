import type { FastifyInstance } from 'fastify'
import type { Core } from '../src/core.js'

/** The OpenRPC document `rpc.discover` answers, for tools that read a URL: the OpenRPC playground, generators. */
export default async function openrpcRoute (scope: FastifyInstance, { core }: { core: Core }) {
  scope.get('/openrpc.json', async (_request, reply) => {
    // a public description with no credentials involved: a playground on another origin may fetch it
    reply.header('access-control-allow-origin', '*')
    return core.openrpc()
  })
}

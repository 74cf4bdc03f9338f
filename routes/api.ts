import fastifySwagger from '@fastify/swagger'
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify'
import Type from 'typebox'
import { ChannelName } from '../src/channels/channel-name.js'
import { instanceOf, isCloseable } from '../src/channels/commands.js'
import { broadcastNotification } from '../src/channels/notification.js'
import type { Core } from '../src/core.js'
import { ErrorCode } from '../src/rpc/error-code.js'
import { RpcError } from '../src/rpc/rpc-error.js'

export interface ApiRouteOptions {
  core: Core
  /** `apiKeys`' bearer check; client tokens do not open the API. */
  authenticate: onRequestHookHandler
}

const ErrorBody = Type.Object({
  statusCode: Type.Integer(),
  code: Type.String(),
  error: Type.String(),
  message: Type.String(),
  rpcCode: Type.Optional(Type.Integer())
})
const Member = Type.Object({ id: Type.String(), user: Type.Optional(Type.String()) })
const Publication = Type.Object({ channel: Type.String(), data: Type.Unknown(), from: Type.String(), offset: Type.Integer(), epoch: Type.String() })
const ClientId = Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}\\.[0-9a-z]{1,16}$', description: '`<instance id>.<counter>`' })
const User = Type.String({ minLength: 1, maxLength: 1024, description: 'the identity: a static token\'s name or a JWT\'s `sub`' })
const errors = { 400: ErrorBody, 401: ErrorBody, 503: ErrorBody }

/**
 * The hub from the backend over HTTP, under `/api`: the handle's publish, broadcast, presence, channels and
 * disconnect, each route guarded by `apiKeys`, described at `/api/openapi.json`. Off unless `apiEnabled`.
 */
export default async function apiRoute (scope: FastifyInstance, { core, authenticate }: ApiRouteOptions) {
  const { channels, commands, fanout, hub } = core
  // its own decorator name, so a host that runs @fastify/swagger itself keeps its own
  await scope.register(fastifySwagger, {
    decorator: 'wsApiDocument',
    openapi: {
      info: { title: 'fastify-ws-hub HTTP API', version: '1', description: 'Publish, broadcast, presence and disconnect from the backend (docs/http-api.md)' },
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }]
    }
  })
  scope.addHook('onRequest', authenticate)

  scope.get('/openapi.json', { schema: { hide: true } }, async () => (scope as unknown as Record<string, () => unknown>).wsApiDocument!())

  scope.post('/publish', {
    schema: {
      summary: 'Send `data` to every subscriber of `channel` on every instance, as a `message` from "server"',
      body: Type.Object({ channel: ChannelName, data: Type.Unknown() }),
      response: { 200: Type.Object({ channel: Type.String(), published: Type.Boolean(), offset: Type.Integer(), epoch: Type.String() }), ...errors }
    }
  }, async (request, reply) => {
    const { channel, data } = request.body as { channel: string, data: unknown }
    try {
      return { channel, published: true, ...await channels.publish(channel, data, 'server') }
    } catch (err) {
      return unavailable(reply, err, request.log)
    }
  })

  scope.post('/broadcast', {
    schema: {
      summary: 'Send `text` to every client on every instance, as a `broadcast` from "server"',
      body: Type.Object({ text: Type.String() }),
      response: { 200: Type.Object({ published: Type.Boolean() }), ...errors }
    }
  }, async (request, reply) => {
    const { text } = request.body as { text: string }
    try {
      await fanout.broadcast(broadcastNotification(text, 'server'))
    } catch (err) {
      return unavailable(reply, err, request.log)
    }
    return { published: true }
  })

  scope.get('/channels', {
    schema: {
      summary: 'Channels with a subscriber on some instance, with their subscriber counts',
      response: { 200: Type.Object({ channels: Type.Array(Type.Object({ channel: Type.String(), count: Type.Integer() })) }), 401: ErrorBody, 503: ErrorBody }
    }
  }, async (_request, reply) => {
    try {
      return { channels: await channels.list() }
    } catch (err) {
      return refused(reply, err)
    }
  })

  scope.get('/channels/:channel/presence', {
    schema: {
      summary: 'Who is subscribed to the channel on every instance',
      params: Type.Object({ channel: ChannelName }),
      response: { 200: Type.Object({ channel: Type.String(), count: Type.Integer(), clients: Type.Array(Member) }), 400: ErrorBody, 401: ErrorBody, 503: ErrorBody }
    }
  }, async (request, reply) => {
    try {
      return await channels.presence((request.params as { channel: string }).channel)
    } catch (err) {
      return refused(reply, err)
    }
  })

  scope.get('/channels/:channel/history', {
    schema: {
      summary: 'What the channel\'s history keeps, as the `history` method answers; 409 when `since` cannot be continued from',
      params: Type.Object({ channel: ChannelName }),
      querystring: Type.Object({
        since_offset: Type.Optional(Type.Integer({ minimum: 0, description: 'only publications after this offset (with since_epoch)' })),
        since_epoch: Type.Optional(Type.String({ maxLength: 64 })),
        limit: Type.Optional(Type.Integer({ minimum: 0 })),
        reverse: Type.Optional(Type.Boolean({ description: 'newest first' }))
      }),
      response: { 200: Type.Object({ publications: Type.Array(Publication), epoch: Type.String(), offset: Type.Integer() }), 409: ErrorBody, ...errors }
    }
  }, async (request, reply) => {
    const { channel } = request.params as { channel: string }
    const query = request.query as { since_offset?: number, since_epoch?: string, limit?: number, reverse?: boolean }
    if ((query.since_offset === undefined) !== (query.since_epoch === undefined)) {
      return reply.code(400).send({ statusCode: 400, code: 'WS_ERR_SINCE', error: 'Bad Request', message: 'since_offset and since_epoch go together' })
    }
    const since = query.since_offset === undefined ? undefined : { offset: query.since_offset, epoch: query.since_epoch! }
    try {
      return await channels.history.read(channel, { since, limit: query.limit, reverse: query.reverse })
    } catch (err) {
      if (err instanceof RpcError && err.code === ErrorCode.UnrecoverablePosition) {
        return reply.code(409).send({ statusCode: 409, code: 'WS_ERR_UNRECOVERABLE_POSITION', error: 'Conflict', message: `${err.message}: the channel is at ${JSON.stringify(err.data)}`, rpcCode: err.code })
      }
      return unavailable(reply, err, request.log)
    }
  })

  scope.post('/clients/:id/disconnect', {
    preValidation: emptyBodyIsNone,
    schema: {
      summary: 'Close one client on any instance: 200 when closed here, 202 when passed to its instance, 404 when not here',
      params: Type.Object({ id: ClientId }),
      body: CloseBody,
      response: {
        200: Type.Object({ id: Type.String(), disconnected: Type.Boolean() }),
        202: Type.Object({ id: Type.String(), forwarded: Type.Boolean() }),
        404: ErrorBody,
        ...errors
      }
    }
  }, async (request, reply) => {
    const { id } = request.params as { id: string }
    const close = closeOf(request.body)
    if (close === undefined) return badClose(reply)
    const { code, reason } = close
    if (instanceOf(id) === hub.instanceId) {
      const client = hub.get(id)
      if (client === undefined) {
        return reply.code(404).send({ statusCode: 404, code: 'WS_ERR_CLIENT_NOT_FOUND', error: 'Not Found', message: `no client ${id} on this instance` })
      }
      client.close(code, reason)
      return { id, disconnected: true }
    }
    try {
      await commands.forward({ op: 'disconnect', client: id, code, reason })
    } catch (err) {
      return unavailable(reply, err, request.log)
    }
    return reply.code(202).send({ id, forwarded: true })
  })

  scope.post('/users/:user/disconnect', {
    preValidation: emptyBodyIsNone,
    schema: {
      summary: 'Close every connection of one user (identity) on every instance: how many were closed here, and that the others were told',
      params: Type.Object({ user: User }),
      body: CloseBody,
      response: {
        200: Type.Object({ user: Type.String(), disconnected: Type.Integer(), forwarded: Type.Boolean() }),
        ...errors
      }
    }
  }, async (request, reply) => {
    const { user } = request.params as { user: string }
    const close = closeOf(request.body)
    if (close === undefined) return badClose(reply)
    const { code, reason } = close
    const disconnected = commands.disconnectUser(user, code, reason)
    try {
      await commands.forwardToAll({ op: 'disconnectUser', user, code, reason })
    } catch (err) {
      // this instance's connections are closed already; the 503 says the others may not be
      return unavailable(reply, err, request.log)
    }
    return { user, disconnected, forwarded: true }
  })
}

/** A disconnect's optional body: no body is `{}`, so the schema still checks any body that is sent. */
const CloseBody = Type.Object({
  code: Type.Optional(Type.Integer({ minimum: 1000, maximum: 4999, description: '1000, or 3000-4999; default 1000' })),
  reason: Type.Optional(Type.String({ maxLength: 123, description: 'up to 123 bytes' }))
})

function emptyBodyIsNone (request: FastifyRequest, _reply: FastifyReply, done: () => void) {
  request.body ??= {}
  done()
}

/** The code and reason a disconnect closes with, or undefined when they are not a host's to send. */
function closeOf (body: unknown): { code: number, reason: string } | undefined {
  const { code = 1000, reason = '' } = (body ?? {}) as { code?: number, reason?: string }
  return isCloseable(code, reason) ? { code, reason } : undefined
}

function badClose (reply: FastifyReply) {
  return reply.code(400).send({ statusCode: 400, code: 'WS_ERR_CLOSE_CODE', error: 'Bad Request', message: 'code must be 1000 or 3000-4999, and reason fit 123 bytes' })
}

/** A publish the broker did not confirm: 503 naming the JSON-RPC code a client would have seen. */
function unavailable (reply: FastifyReply, err: unknown, log: FastifyInstance['log']) {
  if (err instanceof RpcError) log.warn({ err: err.cause ?? err }, 'API publish not confirmed')
  return refused(reply, err)
}

/** The 503 for an -32001 (the channels layer already logged why, for a presence read). */
function refused (reply: FastifyReply, err: unknown) {
  if (!(err instanceof RpcError)) throw err
  return reply.code(503).send({ statusCode: 503, code: 'WS_ERR_PUBSUB_UNAVAILABLE', error: 'Service Unavailable', message: err.message, rpcCode: err.code })
}

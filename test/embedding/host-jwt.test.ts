import assert from 'node:assert/strict'
import { test } from 'node:test'
import fastifyJwt from '@fastify/jwt'
import Fastify from 'fastify'
import wsServer from '../../src/index.js'
import { connect, refusedUpgrade } from '../helpers/client.js'
import { signJwt } from '../helpers/jwt.js'

const HOST_SECRET = 'the-host-app-own-hmac-key-32-chars!!'
const HUB_SECRET = 'the-hubs-hmac-key-of-32-characters!!'

test('a host that uses @fastify/jwt for its own routes keeps its jwt and request.user beside ours', async (t) => {
  const app = Fastify({ logger: false })
  t.after(() => app.close())
  await app.register(fastifyJwt, { secret: HOST_SECRET })
  app.get('/me', async (request) => {
    await request.jwtVerify()
    return { user: request.user }
  })
  await app.register(wsServer, { instanceId: 'n', authEnabled: true, jwtSecret: HUB_SECRET })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `ws://127.0.0.1:${(app.server.address() as { port: number }).port}/ws`

  const hostToken = app.jwt.sign({ sub: 'host-user' })
  const me = await app.inject({ url: '/me', headers: { authorization: `Bearer ${hostToken}` } })
  assert.deepEqual({ status: me.statusCode, user: me.json().user.sub }, { status: 200, user: 'host-user' })
  // each key guards its own door
  assert.equal((await refusedUpgrade(url, { headers: { authorization: `Bearer ${hostToken}` } })).status, 401)
  const hubToken = signJwt({ sub: 'hub-user' }, { alg: 'HS256', key: HUB_SECRET })
  assert.equal((await app.inject({ url: '/me', headers: { authorization: `Bearer ${hubToken}` } })).statusCode, 401)
  const client = await connect(t, url, { headers: { authorization: `Bearer ${hubToken}` } })
  client.send({ jsonrpc: '2.0', id: 1, method: 'subscribe', params: { channel: 'c', presence: true } })
  assert.equal((await client.next()).id, 1)
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', method: 'join', params: { channel: 'c', client: { id: 'n.0', user: 'hub-user' } } })
})

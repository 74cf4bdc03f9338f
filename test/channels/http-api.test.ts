import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import Fastify from 'fastify'
import wsServer, { type Envelope, type PubSubAdapter, type WsServerOptions } from '../../src/index.js'
import { readEnvironment } from '../../src/config/env.js'
import { connect } from '../helpers/client.js'
import { startServer } from '../helpers/server.js'

const KEY = { authorization: 'Bearer api-secret' }

async function startApi (t: TestContext, extra: Record<string, string | boolean> = {}) {
  return startServer(t, { WS_INSTANCE_ID: 'n', WS_API_ENABLED: true, WS_API_KEYS: 'ops:api-secret', ...extra })
}

test('every /api route answers 401 without a key, with a wrong one, and with a client token', async (t) => {
  const { app } = await startApi(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'client-token' })
  const routes = [
    ['POST', '/api/publish'], ['POST', '/api/broadcast'], ['GET', '/api/channels'], ['GET', '/api/channels/room/presence'],
    ['POST', '/api/clients/n.0/disconnect'], ['POST', '/api/users/alice/disconnect'], ['GET', '/api/openapi.json']
  ] as const
  for (const [method, url] of routes) {
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: 'Bearer client-token' }]) {
      const response = await app.inject({ method, url, headers, payload: method === 'POST' ? {} : undefined })
      assert.equal(response.statusCode, 401, `${method} ${url} with ${JSON.stringify(headers)}`)
    }
  }
})

test('the API is off by default, and enabling it without keys stops start-up', async (t) => {
  const { app } = await startServer(t)
  assert.equal((await app.inject({ method: 'GET', url: '/api/channels', headers: KEY })).statusCode, 404)
  assert.throws(() => readEnvironment({ WS_API_ENABLED: 'true' }), { message: 'env/WS_API_KEYS must list at least one key when WS_API_ENABLED is true' })
  const host = Fastify({ logger: false })
  t.after(() => host.close())
  await assert.rejects(async () => { await host.register(wsServer, { apiEnabled: true }) }, { message: 'ws-server option apiKeys must list at least one key when apiEnabled is true' })
})

test('POST /api/publish reaches the channel\'s subscribers as "server"; a bad body gets Fastify\'s 400', async (t) => {
  const { app, url } = await startApi(t)
  const client = await connect(t, url)
  await client.call('subscribe', { channel: 'orders' })
  const response = await app.inject({ method: 'POST', url: '/api/publish', headers: KEY, payload: { channel: 'orders', data: { id: 7 } } })
  assert.deepEqual([response.statusCode, response.json()], [200, { channel: 'orders', published: true, offset: 0, epoch: '' }])
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', method: 'message', params: { channel: 'orders', data: { id: 7 }, from: 'server' } })

  const bad = await app.inject({ method: 'POST', url: '/api/publish', headers: KEY, payload: { channel: 'a b', data: 1 } })
  assert.deepEqual([bad.statusCode, bad.json()], [400, {
    statusCode: 400, code: 'FST_ERR_VALIDATION', error: 'Bad Request', message: 'body/channel must match pattern "^[A-Za-z0-9_.:@-]*$"'
  }])
  const missing = await app.inject({ method: 'POST', url: '/api/publish', headers: KEY, payload: { channel: 'orders' } })
  assert.deepEqual([missing.statusCode, missing.json().message], [400, 'body must have required property \'data\''])
})

test('POST /api/broadcast reaches every client', async (t) => {
  const { app, url } = await startApi(t)
  const client = await connect(t, url)
  const response = await app.inject({ method: 'POST', url: '/api/broadcast', headers: KEY, payload: { text: 'maintenance at noon' } })
  assert.deepEqual([response.statusCode, response.json()], [200, { published: true }])
  assert.deepEqual(await client.next(), { jsonrpc: '2.0', method: 'broadcast', params: { text: 'maintenance at noon', from: 'server' } })
  const bad = await app.inject({ method: 'POST', url: '/api/broadcast', headers: KEY, payload: {} })
  assert.deepEqual([bad.statusCode, bad.json().message], [400, 'body must have required property \'text\''])
})

test('GET /api/channels and /api/channels/:channel/presence list subscribers', async (t) => {
  const { app, url } = await startApi(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'alice:tok1' })
  const alice = await connect(t, url, { headers: { authorization: 'Bearer tok1' } })
  const again = await connect(t, url, { headers: { authorization: 'Bearer tok1' } })
  await alice.call('subscribe', { channel: 'room' })
  await alice.call('subscribe', { channel: 'lobby' })
  await again.call('subscribe', { channel: 'room' })
  const list = await app.inject({ method: 'GET', url: '/api/channels', headers: KEY })
  assert.deepEqual([list.statusCode, list.json()], [200, { channels: [{ channel: 'room', count: 2 }, { channel: 'lobby', count: 1 }] }])
  const presence = await app.inject({ method: 'GET', url: '/api/channels/room/presence', headers: KEY })
  assert.deepEqual([presence.statusCode, presence.json()], [200, { channel: 'room', count: 2, clients: [{ id: 'n.0', user: 'alice' }, { id: 'n.1', user: 'alice' }] }])
  const empty = await app.inject({ method: 'GET', url: '/api/channels/nobody/presence', headers: KEY })
  assert.deepEqual(empty.json(), { channel: 'nobody', count: 0, clients: [] })
  // the longest name fits the router (the process raises Fastify's 100-character parameter limit to 128)
  const longest = await app.inject({ method: 'GET', url: `/api/channels/${'x'.repeat(128)}/presence`, headers: KEY })
  assert.deepEqual([longest.statusCode, longest.json().count], [200, 0])
  const tooLong = await app.inject({ method: 'GET', url: `/api/channels/${'x'.repeat(129)}/presence`, headers: KEY })
  assert.equal(tooLong.statusCode, 414)
  const bad = await app.inject({ method: 'GET', url: '/api/channels/a%20b/presence', headers: KEY })
  assert.deepEqual([bad.statusCode, bad.json().message], [400, 'params/channel must match pattern "^[A-Za-z0-9_.:@-]*$"'])
})

test('POST /api/clients/:id/disconnect closes a client here (200), 404 for an unknown one, 400 for a bad code', async (t) => {
  const { app, url } = await startApi(t)
  const client = await connect(t, url)
  const noBody = await app.inject({ method: 'POST', url: '/api/clients/n.0/disconnect', headers: KEY })
  assert.deepEqual([noBody.statusCode, noBody.json()], [200, { id: 'n.0', disconnected: true }])
  assert.deepEqual(await client.closed, { code: 1000, reason: '' })
  const other = await connect(t, url)
  const withCode = await app.inject({ method: 'POST', url: '/api/clients/n.1/disconnect', headers: KEY, payload: { code: 4000, reason: 'kicked' } })
  assert.equal(withCode.statusCode, 200)
  assert.deepEqual(await other.closed, { code: 4000, reason: 'kicked' })
  const gone = await app.inject({ method: 'POST', url: '/api/clients/n.0/disconnect', headers: KEY })
  assert.deepEqual([gone.statusCode, gone.json()], [404, { statusCode: 404, code: 'WS_ERR_CLIENT_NOT_FOUND', error: 'Not Found', message: 'no client n.0 on this instance' }])
  const badCode = await app.inject({ method: 'POST', url: '/api/clients/n.5/disconnect', headers: KEY, payload: { code: 1001 } })
  assert.deepEqual([badCode.statusCode, badCode.json().code], [400, 'WS_ERR_CLOSE_CODE'])
  const badId = await app.inject({ method: 'POST', url: '/api/clients/nodot/disconnect', headers: KEY })
  assert.equal(badId.statusCode, 400)
  const remote = await app.inject({ method: 'POST', url: '/api/clients/other.3/disconnect', headers: KEY })
  assert.deepEqual([remote.statusCode, remote.json()], [202, { id: 'other.3', forwarded: true }])
})

test('/api/openapi.json describes every route', async (t) => {
  const { app } = await startApi(t)
  const response = await app.inject({ method: 'GET', url: '/api/openapi.json', headers: KEY })
  assert.equal(response.statusCode, 200)
  const document = response.json()
  assert.equal(document.openapi.startsWith('3.'), true)
  assert.deepEqual(Object.keys(document.paths).sort(), ['/api/broadcast', '/api/channels', '/api/channels/{channel}/history', '/api/channels/{channel}/presence', '/api/clients/{id}/disconnect', '/api/publish', '/api/users/{user}/disconnect'])
  assert.deepEqual(document.security, [{ apiKey: [] }])
})

/** Takes nothing: every publish is refused, as by a broker that is down. */
class DownAdapter implements PubSubAdapter {
  readonly name = 'down'
  readonly isConnected = false
  async connect () {}
  onEnvelope (_handler: (envelope: Envelope) => void) {}
  async publish () { throw new Error('broker down') }
  async close () {}
}

test('a publish or broadcast the broker refuses answers 503 naming -32001, over HTTP and over WebSocket', async (t) => {
  const app = Fastify({ logger: false })
  const options: WsServerOptions = { instanceId: 'n', apiEnabled: true, apiKeys: 'k', pubsubAdapter: new DownAdapter() }
  await app.register(wsServer, options)
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  for (const [url, payload] of [['/api/publish', { channel: 'c', data: 1 }], ['/api/broadcast', { text: 'x' }]] as const) {
    const response = await app.inject({ method: 'POST', url, headers: { authorization: 'Bearer k' }, payload })
    assert.deepEqual([response.statusCode, response.json()], [503, {
      statusCode: 503, code: 'WS_ERR_PUBSUB_UNAVAILABLE', error: 'Service Unavailable', message: 'Broadcast not confirmed: pub/sub unavailable', rpcCode: -32001
    }])
  }
  const client = await connect(t, `ws://127.0.0.1:${(app.server.address() as { port: number }).port}/ws`)
  assert.deepEqual(await client.call('publish', { channel: 'c', data: 1 }, 1),
    { jsonrpc: '2.0', id: 1, error: { code: -32001, message: 'Broadcast not confirmed: pub/sub unavailable' } })
  await assert.rejects(app.wsHub.publish('c', 1), { code: -32001 })
})

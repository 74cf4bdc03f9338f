import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import Fastify from 'fastify'
import wsServer, { type ClientInfo, type WsServerOptions } from '../../src/index.js'
import { connect } from '../helpers/client.js'

async function host (t: TestContext, options: WsServerOptions = {}) {
  const app = Fastify({ logger: false })
  await app.register(wsServer, options)
  app.post<{ Body: { text: string } }>('/notify', async (request) => {
    await app.wsHub.broadcast(request.body.text)
    return { sent: true, connections: app.wsHub.connections }
  })
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  return { app, http: `http://127.0.0.1:${port}`, url: `ws://127.0.0.1:${port}/ws` }
}

test('a host route pushes to every connected socket through app.wsHub.broadcast', async (t) => {
  const { http, url } = await host(t)
  const alice = await connect(t, url)
  const bob = await connect(t, url)
  const response = await fetch(`${http}/notify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ text: 'deploy at 5' }) })
  assert.equal(response.status, 200)
  assert.deepEqual(await response.json(), { sent: true, connections: 2 })
  const expected = { jsonrpc: '2.0', method: 'broadcast', params: { text: 'deploy at 5', from: 'server' } }
  assert.deepEqual(await alice.next(), expected)
  assert.deepEqual(await bob.next(), expected)
})

test('app.wsHub tells the host who connects and leaves, with id, identity and close code', async (t) => {
  const { app, url } = await host(t, { authEnabled: true, bearerTokens: 'tok-a,tok-b' })
  const joined = once(app.wsHub, 'connect') as Promise<[ClientInfo]>
  const client = await connect(t, url, { headers: { authorization: 'Bearer tok-b' } })
  const [info] = await joined
  assert.equal(info.identity, 'token-1')
  assert.match(info.id, new RegExp(`^${app.wsHub.instanceId}\\.`))
  assert.equal(app.wsHub.connections, 1)

  const left = once(app.wsHub, 'disconnect') as Promise<[ClientInfo, number, string]>
  assert.equal(app.wsHub.disconnect(info.id, 4000, 'kicked'), true)
  assert.deepEqual(await client.closed, { code: 4000, reason: 'kicked' })
  const [gone, code, reason] = await left
  assert.deepEqual({ id: gone.id, code, reason }, { id: info.id, code: 4000, reason: 'kicked' })
  assert.equal(app.wsHub.connections, 0)
  assert.equal(app.wsHub.disconnect(info.id), false)
})

test('app.wsHub refuses what it cannot do with a clear error', async (t) => {
  const { app } = await host(t)
  assert.throws(() => app.wsHub.disconnect('x', 1006), { name: 'RangeError', message: 'wsHub.disconnect: close code 1006 is not 1000 or 3000-4999' })
  await assert.rejects(app.wsHub.broadcast(42 as unknown as string), { name: 'TypeError', message: 'wsHub.broadcast(text): text must be a string' })
})

test('a broadcast the broker cannot confirm rejects in the host with -32001', async (t) => {
  // nothing listens on port 1: the adapter starts disconnected and retries in the background
  const { app } = await host(t, { pubsubAdapter: 'redis', redisUrl: 'redis://127.0.0.1:1/0', pubsubConnectTimeoutMs: 50 })
  await assert.rejects(app.wsHub.broadcast('lost?'), { code: -32001, message: 'Broadcast not confirmed: pub/sub unavailable' })
})

test('app.close() closes our clients with 1001', async (t) => {
  const { app, url } = await host(t)
  const client = await connect(t, url)
  await app.close()
  assert.equal((await client.closed).code, 1001)
})

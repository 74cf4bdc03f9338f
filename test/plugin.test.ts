import assert from 'node:assert/strict'
import { test } from 'node:test'
import Fastify from 'fastify'
import Type from 'typebox'
import wsServer, { defineMethod, RpcError, type WsServerOptions } from '../src/index.js'
import { connect, refusedUpgrade } from './helpers/client.js'

const shout = defineMethod({
  name: 'chat.shout',
  params: Type.Object({ text: Type.String({ minLength: 1 }) }),
  handle ({ text }, { client }) {
    if (text === 'forbidden') throw new RpcError(-32010, 'Not allowed here')
    return { text: text.toUpperCase(), by: client.id }
  }
})

/** Declares its result: what the schema does not name stays on the server. */
const profile = defineMethod({
  name: 'chat.profile',
  params: Type.Object({ name: Type.String() }),
  result: Type.Object({ name: Type.String(), online: Type.Boolean() }),
  handle ({ name }) {
    if (name === 'ghost') return { online: false }
    return { name, online: true, passwordHash: 'not for the wire' }
  }
})

async function hostApp (t: import('node:test').TestContext, options: WsServerOptions = {}) {
  const app = Fastify({ logger: false })
  app.get('/api/hello', async () => ({ hello: 'world' }))
  await app.register(wsServer, { ...options, methods: [shout, profile] })
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  return { app, http: `http://127.0.0.1:${port}`, url: `ws://127.0.0.1:${port}/ws` }
}

test('the server registers inside a host app beside its own routes', async (t) => {
  const { http, url } = await hostApp(t)
  const hello = await fetch(`${http}/api/hello`)
  assert.equal(hello.status, 200)
  assert.deepEqual(await hello.json(), { hello: 'world' })

  const client = await connect(t, url)
  assert.deepEqual(await client.call('self.reply', { text: 'hi' }), { jsonrpc: '2.0', id: 1, result: { text: 'hi' } })
  assert.equal((await fetch(`${http}/health`)).status, 200)
})

test('a method added by the host is validated against its schema before it runs', async (t) => {
  const { url } = await hostApp(t)
  const client = await connect(t, url)
  const ok = await client.call('chat.shout', { text: 'hey' })
  assert.deepEqual(ok, { jsonrpc: '2.0', id: 1, result: { text: 'HEY', by: ok.result.by } })
  assert.deepEqual(await client.call('chat.shout', { text: '' }, 2), {
    jsonrpc: '2.0', id: 2, error: { code: -32602, message: 'Invalid params', data: [{ path: '/text', message: 'must not have fewer than 1 characters' }] }
  })
  assert.deepEqual(await client.call('chat.shout', { text: 'forbidden' }, 3), {
    jsonrpc: '2.0', id: 3, error: { code: -32010, message: 'Not allowed here' }
  })
})

test('a method with a result schema answers only what the schema names, and -32603 when it cannot', async (t) => {
  const { url } = await hostApp(t)
  const client = await connect(t, url)
  assert.deepEqual(await client.call('chat.profile', { name: 'ann' }), { jsonrpc: '2.0', id: 1, result: { name: 'ann', online: true } })
  assert.deepEqual(await client.call('chat.profile', { name: 'ghost' }, 2), {
    jsonrpc: '2.0', id: 2, error: { code: -32603, message: 'Internal error' }
  })
  // the connection goes on after the failed serialization
  assert.deepEqual(await client.call('self.reply', { text: 'still here' }, 3), { jsonrpc: '2.0', id: 3, result: { text: 'still here' } })
})

test('the server\'s hooks stay inside it: auth guards /ws but not the host\'s routes', async (t) => {
  const { http, url } = await hostApp(t, { authEnabled: true, bearerTokens: 'secret-token' })
  assert.equal((await fetch(`${http}/api/hello`)).status, 200)
  assert.equal((await refusedUpgrade(url)).status, 401)
  const client = await connect(t, url, { headers: { authorization: 'Bearer secret-token' } })
  assert.deepEqual(await client.call('self.reply', { text: 'in' }), { jsonrpc: '2.0', id: 1, result: { text: 'in' } })
})

test('registering two methods with one name fails at boot', async (t) => {
  const app = Fastify({ logger: false })
  t.after(() => app.close())
  await assert.rejects(
    async () => { await app.register(wsServer, { methods: [shout, shout] }).ready() },
    { message: 'JSON-RPC method "chat.shout" is registered twice' }
  )
})

test('a bad option stops register with an error naming it, and an unknown one is not ignored', async (t) => {
  const cases: Array<[WsServerOptions | Record<string, unknown>, string]> = [
    [{ maxPayloadBytes: 10 }, 'ws-server option maxPayloadBytes must be >= 64'],
    [{ pubsubAdapter: 'kafka' }, 'ws-server option pubsubAdapter must be equal to one of the allowed values'],
    [{ heartbeatIntervalMs: 'often' }, 'ws-server option heartbeatIntervalMs must be integer'],
    [{ authEnabled: true }, 'ws-server option bearerTokens must list at least one token when authEnabled is true and no JWT key (jwtSecret, jwtPublicKey or jwtJwksUrl) is set'],
    [{ authEnabled: true, jwtSecret: 'short' }, 'ws-server option jwtSecret must be at least 32 characters (RFC 7518 §3.2)'],
    [{ jwtAudience: 'hub' }, 'ws-server option jwtAudience needs a JWT key: jwtSecret, jwtPublicKey or jwtJwksUrl'],
    [{ maxPayload: 1024 }, 'ws-server option maxPayload is not known'],
    [{ maxPayloadBytes: 2 * 1024 * 1024 }, 'ws-server option maxPayloadBytes must be <= maxBufferedBytes'],
    [{ maxBufferedBytes: 8 * 1024 * 1024, maxTotalBufferedBytes: 4 * 1024 * 1024 }, 'ws-server option maxBufferedBytes must be <= maxTotalBufferedBytes'],
    [{ shutdownTimeoutMs: 500, pubsubPublishTimeoutMs: 500 }, 'ws-server option shutdownTimeoutMs must be > pubsubPublishTimeoutMs'],
    [{ drainSpreadMs: 8000 }, 'ws-server option shutdownTimeoutMs must be > drainDelayMs + drainSpreadMs + pubsubPublishTimeoutMs']
  ]
  for (const [options, message] of cases) {
    const app = Fastify({ logger: false })
    t.after(() => app.close())
    await assert.rejects(async () => { await app.register(wsServer, options as WsServerOptions).ready() }, { message })
  }
})

test('the plugin never reads process.env: a WS_* variable set in the host process changes nothing', async (t) => {
  process.env.WS_MAX_PAYLOAD_BYTES = '64'
  process.env.WS_AUTH_ENABLED = 'true'
  t.after(() => { delete process.env.WS_MAX_PAYLOAD_BYTES; delete process.env.WS_AUTH_ENABLED })
  const { url } = await hostApp(t)
  const client = await connect(t, url)
  const text = 'x'.repeat(200)
  assert.deepEqual(await client.call('self.reply', { text }), { jsonrpc: '2.0', id: 1, result: { text } })
})

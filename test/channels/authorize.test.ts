import assert from 'node:assert/strict'
import type { TestContext } from 'node:test'
import { test } from 'node:test'
import Fastify from 'fastify'
import wsServer, { type AuthorizeRequest, type WsServerOptions } from '../../src/index.js'
import { connect } from '../helpers/client.js'

async function startApp (t: TestContext, options: WsServerOptions) {
  const app = Fastify({ logger: false })
  await app.register(wsServer, { instanceId: 'n', ...options })
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url: `ws://127.0.0.1:${(app.server.address() as { port: number }).port}/ws` }
}

const refused = (id: number, action: string, channel: string) =>
  ({ jsonrpc: '2.0', id, error: { code: -32010, message: 'Not allowed', data: { action, channel, reason: 'refused by authorize' } } })

test('authorize is asked for subscribe, publish and presence with the client and its identity; false answers -32010', async (t) => {
  const asked: Array<Omit<AuthorizeRequest, 'client'> & { clientId: string }> = []
  const { url, app } = await startApp(t, {
    authEnabled: true,
    bearerTokens: 'alice:tok1',
    authorize ({ action, channel, client, identity }) {
      asked.push({ action, channel, clientId: client.id, identity })
      return channel.startsWith('open.')
    }
  })
  const client = await connect(t, url, { headers: { authorization: 'Bearer tok1' } })
  assert.deepEqual(await client.call('subscribe', { channel: 'secret' }, 1), refused(1, 'subscribe', 'secret'))
  assert.deepEqual(await client.call('publish', { channel: 'secret', data: 1 }, 2), refused(2, 'publish', 'secret'))
  assert.deepEqual(await client.call('presence', { channel: 'secret' }, 3), refused(3, 'presence', 'secret'))
  assert.deepEqual(await client.call('presence.count', { channel: 'secret' }, 4), refused(4, 'presence', 'secret'))
  assert.deepEqual(await client.call('subscribe', { channel: 'open.1' }, 5), { jsonrpc: '2.0', id: 5, result: { channel: 'open.1', subscribed: true, epoch: '', offset: 0, recovered: false, publications: [] } })
  // unsubscribe is never refused, and the host side is not asked
  assert.deepEqual(await client.call('unsubscribe', { channel: 'secret' }, 6), { jsonrpc: '2.0', id: 6, result: { channel: 'secret', subscribed: false } })
  await app.wsHub.publish('secret', 'server may')
  assert.deepEqual(asked, [
    { action: 'subscribe', channel: 'secret', clientId: 'n.0', identity: 'alice' },
    { action: 'publish', channel: 'secret', clientId: 'n.0', identity: 'alice' },
    { action: 'presence', channel: 'secret', clientId: 'n.0', identity: 'alice' },
    { action: 'presence', channel: 'secret', clientId: 'n.0', identity: 'alice' },
    { action: 'subscribe', channel: 'open.1', clientId: 'n.0', identity: 'alice' }
  ])
  // a refused subscribe left nothing behind
  assert.deepEqual(await app.wsHub.presence('secret'), { channel: 'secret', count: 0, clients: [] })
})

test('an async authorize is awaited, and a publisher\'s messages keep their order whatever each verdict takes', async (t) => {
  let calls = 0
  const { url } = await startApp(t, {
    async authorize ({ action, channel }) {
      // later publishes are answered sooner: without ordering they would overtake
      const delay = action === 'publish' ? Math.max(0, 20 - calls++) : 0
      await new Promise((resolve) => setTimeout(resolve, delay))
      return channel !== 'denied'
    }
  })
  const reader = await connect(t, url)
  const writer = await connect(t, url)
  assert.deepEqual(await reader.call('subscribe', { channel: 'seq' }, 1), { jsonrpc: '2.0', id: 1, result: { channel: 'seq', subscribed: true, epoch: '', offset: 0, recovered: false, publications: [] } })
  assert.deepEqual(await writer.call('subscribe', { channel: 'denied' }, 1), refused(1, 'subscribe', 'denied'))
  for (let i = 0; i < 20; i++) writer.send({ jsonrpc: '2.0', id: i, method: 'publish', params: { channel: 'seq', data: i } })
  const received = []
  for (let i = 0; i < 20; i++) received.push((await reader.next()).params.data)
  assert.deepEqual(received, Array.from({ length: 20 }, (_, i) => i))
})

test('an authorize that throws answers -32603; one that throws an RpcError answers with it', async (t) => {
  const { RpcError } = await import('../../src/index.js')
  const { url } = await startApp(t, {
    authorize ({ channel }) {
      if (channel === 'boom') throw new Error('database down')
      throw new RpcError(-32050, 'Ask later', { retryAfterMs: 100 })
    }
  })
  const client = await connect(t, url)
  assert.deepEqual(await client.call('subscribe', { channel: 'boom' }, 1), { jsonrpc: '2.0', id: 1, error: { code: -32603, message: 'Internal error' } })
  assert.deepEqual(await client.call('publish', { channel: 'x', data: 1 }, 2), { jsonrpc: '2.0', id: 2, error: { code: -32050, message: 'Ask later', data: { retryAfterMs: 100 } } })
})

test('authorize must be a function', async (t) => {
  const app = Fastify({ logger: false })
  t.after(() => app.close())
  await assert.rejects(async () => { await app.register(wsServer, { authorize: true as never }) }, { message: 'ws-server option authorize must be a function' })
})

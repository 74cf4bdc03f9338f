import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import Fastify from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import WebSocket from 'ws'
import wsServer from '../../src/index.js'
import { connect, refusedUpgrade } from '../helpers/client.js'

test('a host with its own @fastify/websocket route beside ours keeps working, and our hooks stay off it', async (t) => {
  const app = Fastify({ logger: false })
  await app.register(fastifyWebsocket)
  // the host's own echo socket, with no token
  app.get('/chat', { websocket: true }, (socket) => {
    socket.on('message', (data) => socket.send(`echo:${data.toString()}`))
  })
  await app.register(wsServer, { authEnabled: true, bearerTokens: 'tok' })
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }

  // the host's socket speaks plain text, so a bare ws client reads it
  const chat = new WebSocket(`ws://127.0.0.1:${port}/chat`)
  t.after(() => chat.terminate())
  await once(chat, 'open')
  chat.send('hi')
  const [echoed] = await once(chat, 'message')
  assert.equal(echoed.toString(), 'echo:hi')

  assert.equal((await refusedUpgrade(`ws://127.0.0.1:${port}/ws`)).status, 401)
  const ours = await connect(t, `ws://127.0.0.1:${port}/ws`, { headers: { authorization: 'Bearer tok' } })
  assert.deepEqual(await ours.call('self.reply', { text: 'both' }), { jsonrpc: '2.0', id: 1, result: { text: 'both' } })
})

test('our plugin adds no upgrade listener or hook to a host that serves no WebSockets of its own beyond @fastify/websocket\'s', async (t) => {
  const bare = Fastify({ logger: false })
  await bare.register(fastifyWebsocket)
  await bare.ready()
  const before = bare.server.listenerCount('upgrade')
  await bare.close()

  const app = Fastify({ logger: false })
  await app.register(wsServer)
  t.after(() => app.close())
  await app.ready()
  // one listener: @fastify/websocket's, registered inside our scope; nothing of ours on the host's server
  assert.equal(app.server.listenerCount('upgrade'), before)
  assert.equal(app.hasDecorator('wsHub'), true)
  for (const name of ['wsConfig', 'wsRpc', 'wsMetrics', 'wsPubsub', 'websocketServer']) assert.equal(app.hasDecorator(name), false, name)
})

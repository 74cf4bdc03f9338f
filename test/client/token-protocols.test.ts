import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { WebSocketServer } from 'ws'
import { HubClient } from '../../client/index.js'
import { base64url, tokenProtocols } from '../../client/token-protocols.js'
import { nextEvent } from '../helpers/hub-client.js'

/** A bare `ws` server that records each upgrade's offered subprotocols and closes the connection with 4000. */
async function recordingServer (t: import('node:test').TestContext) {
  const offered: string[][] = []
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  server.on('connection', (socket, request) => {
    // ws joins the list with ',', undici with ', '
    offered.push((request.headers['sec-websocket-protocol'] ?? '').split(',').map((name) => name.trim()))
    socket.close(4000, 'next')
  })
  await once(server, 'listening')
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const { port } = server.address() as { port: number }
  return { url: `ws://127.0.0.1:${port}/ws`, offered }
}

test('base64url of the UTF-8 bytes, without padding, and nothing a subprotocol cannot hold', () => {
  for (const token of ['tok1', 'a', 'ab', 'été ✓ 🔑', '+/=?>~', 'x'.repeat(1000)]) {
    const encoded = base64url(token)
    assert.equal(encoded, Buffer.from(token, 'utf8').toString('base64url'))
    assert.match(encoded, /^[A-Za-z0-9_-]*$/)
  }
  assert.deepEqual(tokenProtocols(undefined), ['ws-hub.v1'])
  assert.deepEqual(tokenProtocols(''), ['ws-hub.v1'])
  assert.deepEqual(tokenProtocols('été'), ['ws-hub.v1', 'bearer.w6l0w6k'])
})

test('the token rides as a subprotocol after ws-hub.v1, and getToken is called before each connection', { timeout: 20_000 }, async (t) => {
  const { url, offered } = await recordingServer(t)
  const tokens = ['first-tök', 'second/+=']
  let calls = 0
  const client = new HubClient(url, { getToken: async () => tokens[calls++], reconnect: { minDelayMs: 10, maxDelayMs: 20 } })
  t.after(() => client.close())
  await nextEvent(client, 'connected')
  await nextEvent(client, 'connected')
  client.close()
  assert.deepEqual(offered.slice(0, 2), [
    ['ws-hub.v1', `bearer.${Buffer.from('first-tök').toString('base64url')}`],
    ['ws-hub.v1', `bearer.${Buffer.from('second/+=').toString('base64url')}`]
  ])
  assert.ok(calls >= 2)

  const anonymous = new HubClient(url)
  t.after(() => anonymous.close())
  await nextEvent(anonymous, 'connected')
  assert.deepEqual(offered.at(-1), ['ws-hub.v1'])
})

import assert from 'node:assert/strict'
import type { Socket } from 'node:net'
import { test } from 'node:test'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import WebSocket from 'ws'
import wsServer, { websocketOptions } from '../../src/index.js'
import { resolveOptions } from '../../src/config/resolve-options.js'

const CLIENTS = 5
/** Each client reconnects at once when closed, as HubClient does on 1001, at most this many times. */
const MAX_RECONNECTS = 50
const HUNG_MS = 10_000

/**
 * Clients that reconnect the moment they are closed, and one slow peer that does not answer the close handshake for
 * a while, so the drain is still going on when the reconnects arrive. Resolves with how many upgrades were refused.
 */
async function closeUnderReconnects (app: FastifyInstance): Promise<{ closedInMs: number, refused: number }> {
  await app.listen({ host: '127.0.0.1', port: 0 })
  const url = `ws://127.0.0.1:${(app.server.address() as { port: number }).port}/ws`
  let refused = 0
  let closing = false
  const open = (budget: number): Promise<WebSocket> => new Promise((resolve) => {
    const socket = new WebSocket(url)
    socket.on('open', () => resolve(socket))
    // as a browser does, ws drops the connection on a refused upgrade (and says so in an error)
    socket.on('error', (err) => { if (/Unexpected server response: 503/.test(err.message)) refused++ })
    socket.on('close', () => { if (closing && budget > 0) open(budget - 1).catch(() => {}) })
  })
  await Promise.all(Array.from({ length: CLIENTS }, () => open(MAX_RECONNECTS)))
  const slow = await open(0)
  const raw = (slow as unknown as { _socket: Socket })._socket
  raw.pause()
  const resume = setTimeout(() => raw.resume(), 1_000)
  closing = true
  const started = Date.now()
  // a deadline of our own: a hung close holds no handle that keeps the loop alive, and must fail with a message
  let deadline: NodeJS.Timeout | undefined
  const hung = new Promise<never>((_resolve, reject) => {
    deadline = setTimeout(() => reject(new Error(`app.close() still pending after ${HUNG_MS} ms (${refused} upgrades refused)`)), HUNG_MS)
  })
  await Promise.race([app.close(), hung]).finally(() => clearTimeout(deadline))
  clearTimeout(resume)
  slow.terminate()
  return { closedInMs: Date.now() - started, refused }
}

for (const host of ['registers only the plugin', 'registers @fastify/websocket first']) {
  test(`app.close() ends while clients reconnect at once during the drain, when the host ${host}`, { timeout: 30_000 }, async () => {
    const app = Fastify({ logger: false })
    if (host.includes('first')) await app.register(fastifyWebsocket, websocketOptions(resolveOptions({})))
    await app.register(wsServer, { shutdownTimeoutMs: 5_000 })
    const { closedInMs, refused } = await closeUnderReconnects(app)
    // the slow peer holds the drain about a second; an upgrade refused while closing must not hold it for ever
    assert.ok(closedInMs < 5_000, `app.close() took ${closedInMs} ms`)
    assert.ok(refused >= 1, 'reconnects reached the closing server and were refused')
    assert.equal(app.server.listening, false)
  })
}

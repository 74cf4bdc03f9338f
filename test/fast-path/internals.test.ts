import assert from 'node:assert/strict'
import { once } from 'node:events'
import { createRequire } from 'node:module'
import type { IncomingMessage } from 'node:http'
import { test } from 'node:test'
import Fastify from 'fastify'
import fastifyWebsocket from '@fastify/websocket'
import WebSocket, { type WebSocket as ServerSocket } from 'ws'
import { kTimeout } from '../../src/fast-path/release-upgrade.js'
import { SENDER_IDLE } from '../../src/fast-path/write-frame.js'
import { startServer } from '../helpers/server.js'

const wsVersion = (createRequire(import.meta.url)('ws/package.json') as { version: string }).version

/** Fails naming the private member, the ws version, and the fast-path file that reads it. */
function assertMember (owner: unknown, path: string, kind: string, user: string) {
  let value: unknown = owner
  for (const key of path.split('.')) value = (value as Record<string, unknown> | undefined)?.[key]
  const actual = Array.isArray(value) ? 'array' : typeof value
  assert.equal(actual, kind, `ws ${wsVersion}: ${path} is ${actual}, not ${kind}; ${user} relies on it (turn it off with WS_FAST_PATH=false and fix it)`)
}

test('every private member the fast path reads is still where it expects it', async (t) => {
  const app = Fastify({ logger: false })
  await app.register(fastifyWebsocket)
  const seen = new Promise<[ServerSocket, IncomingMessage]>((resolve) => {
    app.get('/raw', { websocket: true }, (socket, request) => resolve([socket, request.raw]))
  })
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const client = new WebSocket(`ws://127.0.0.1:${(app.server.address() as { port: number }).port}/raw`)
  t.after(() => client.terminate())
  await once(client, 'open')
  const [socket, request] = await seen

  const reader = 'src/fast-path/text-frame-reader.ts'
  assertMember(socket, '_receiver', 'object', reader)
  assertMember(socket, '_receiver.write', 'function', reader)
  for (const field of ['_state', '_bufferedBytes', '_fragmented', '_opcode', '_maxPayload']) assertMember(socket, `_receiver.${field}`, 'number', reader)
  for (const field of ['_errored', '_skipUTF8Validation', '_allowSynchronousEvents']) assertMember(socket, `_receiver.${field}`, 'boolean', reader)
  for (const field of ['length']) assertMember(socket, `_receiver._writableState.${field}`, 'number', reader)
  for (const field of ['ending', 'destroyed']) assertMember(socket, `_receiver._writableState.${field}`, 'boolean', reader)

  const writer = 'src/fast-path/write-frame.ts'
  assertMember(socket, '_socket.write', 'function', writer)
  assertMember(socket, '_sender._queue', 'array', writer)
  assertMember(socket, '_sender._state', 'number', writer)
  assert.equal((socket as unknown as { _sender: { _state: number } })._sender._state, SENDER_IDLE, `ws ${wsVersion}: an idle Sender's _state is no longer ${SENDER_IDLE}; ${writer} relies on it`)

  const release = 'src/fast-path/release-upgrade.ts'
  assert.notEqual(kTimeout, undefined, `node ${process.version}: net.Socket has no 'timeout' symbol; ${release} relies on it`)
  assertMember(request.socket, '_httpMessage.detachSocket', 'function', release)
})

/** With the fast path on, ws's Receiver of each connection gets the short-frame reader's prototype. */
test('WS_FAST_PATH switches the fast path on and off', async (t) => {
  const ReceiverPrototype = (WebSocket as unknown as { Receiver: { prototype: object } }).Receiver.prototype
  for (const fastPath of [true, false]) {
    await t.test(`WS_FAST_PATH=${fastPath}`, async (t) => {
      const { app, url } = await startServer(t, { WS_FAST_PATH: fastPath })
      const connected = once(app.websocketServer, 'connection') as Promise<[ServerSocket]>
      const client = new WebSocket(url)
      t.after(() => client.terminate())
      await once(client, 'open')
      const [socket] = await connected
      const receiver = (socket as unknown as { _receiver: object })._receiver
      assert.equal(Object.getPrototypeOf(receiver) !== ReceiverPrototype, fastPath)
    })
  }
})

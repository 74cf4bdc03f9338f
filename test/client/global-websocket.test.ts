import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { test } from 'node:test'
import { promisify } from 'node:util'
import { startServer } from '../helpers/server.js'

const run = promisify(execFile)
const clientUrl = new URL('../../client/index.ts', import.meta.url).href

/** Runs in a child: counts the global WebSocket's sockets, so the output says which class the client took. */
const SCRIPT = `
const Native = globalThis.WebSocket
let made = 0
globalThis.WebSocket = class extends Native { constructor (...args) { super(...args); made++ } }
const { HubClient } = await import(${JSON.stringify(clientUrl)})
const client = new HubClient(process.env.HUB_URL)
const reply = await client.call('self.reply', { text: 'native' })
const messages = []
const sub = client.subscribe('room', { onMessage: (m) => messages.push(m.data) })
await sub.ready
await client.call('publish', { channel: 'room', data: 'hello' })
const disconnected = new Promise((resolve) => client.on('disconnected', resolve))
await client.call('bye', {})
const closed = await disconnected
client.close()
console.log(JSON.stringify({ made, reply, messages, closed, state: client.state }))
`

test('where Node has a global WebSocket (undici), the client uses it: calls, messages, and a 4403 close that stops it', { timeout: 60_000 }, async (t) => {
  const { defineMethod } = await import('../../src/methods/method.js')
  const { default: Type } = await import('typebox')
  // the server closes the caller with 4403 after answering
  const bye = defineMethod({
    name: 'bye',
    params: Type.Object({}),
    handle (_params, { client }) {
      setImmediate(() => client.close(4403, 'origin not allowed'))
      return { ok: true }
    }
  })
  const { url } = await startServer(t, {}, { methods: [bye] })
  // Node 22+ has it by default; Node 20 behind a flag
  const flags = typeof (globalThis as { WebSocket?: unknown }).WebSocket === 'function' ? [] : ['--experimental-websocket']
  const { stdout } = await run(process.execPath, [...flags, '--no-warnings', '--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
    env: { ...process.env, HUB_URL: url },
    timeout: 45_000
  })
  assert.deepEqual(JSON.parse(stdout.trim().split('\n').at(-1)!), {
    made: 1,
    reply: { text: 'native' },
    messages: ['hello'],
    closed: { code: 4403, reason: 'origin not allowed', willReconnect: false },
    state: 'closed'
  })
})

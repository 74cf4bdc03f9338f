import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import { connect } from '../helpers/client.js'
import { startServer } from '../helpers/server.js'
import { Op, RawSocket, frame, openRaw, portOf, rawHttp, upgradeRequest, type Ending } from './raw-ws.js'

// room for the 200 KB nesting case; everything else is far smaller
const CONFIG = { WS_MAX_PAYLOAD_BYTES: 1024 * 1024 }

const parseError = { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }
const invalid = (id: unknown = null) => ({ jsonrpc: '2.0', id, error: { code: -32600, message: 'Invalid Request' } })
const badParams = (id: unknown, path: string, message: string) =>
  ({ jsonrpc: '2.0', id, error: { code: -32602, message: 'Invalid params', data: [{ path, message }] } })
const reply = (id: unknown, text: string) => ({ jsonrpc: '2.0', id, result: { text } })
const call = (fields: Record<string, unknown>) => JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'self.reply', params: { text: 'ok' }, ...fields })

const DEEP = 100_000
const longName = 'm'.repeat(60_000)
const longId = 'i'.repeat(60_000)

/** A text frame and the exact frame it must produce; `null` means no answer at all (proved by a round trip). */
const messageCases: Array<[string, string, unknown]> = [
  // malformed JSON
  ['an unterminated object', '{"jsonrpc":"2.0","id":1,', parseError],
  ['a bare word', 'nul', parseError],
  ['an empty frame', '', parseError],
  ['whitespace only', ' \n\t', parseError],
  ['trailing garbage', '{"jsonrpc":"2.0","id":1,"method":"self.reply","params":{"text":"a"}}}', parseError],
  ['single quotes', "{'jsonrpc':'2.0'}", parseError],
  ['a NUL byte', '\u0000', parseError],
  ['a lone surrogate escape in a string', '{"jsonrpc":"2.0","id":1,"method":"self.reply","params":{"text":"\\ud800"}}', reply(1, '\ud800')],
  // deep nesting: V8 parses it without recursion; nothing walks it afterwards
  [`${DEEP} nested arrays`, '['.repeat(DEEP) + ']'.repeat(DEEP), [invalid()]],
  [`${DEEP} nested arrays as text`, `{"jsonrpc":"2.0","id":1,"method":"self.reply","params":{"text":${'['.repeat(DEEP) + ']'.repeat(DEEP)}}}`, badParams(1, '/text', 'must be string')],
  [`${DEEP} nested objects beside the params`, `{"jsonrpc":"2.0","id":1,"method":"self.reply","params":{"text":"deep","x":${'{"a":'.repeat(DEEP) + '1' + '}'.repeat(DEEP)}}}`, reply(1, 'deep')],
  // huge numbers
  ['an id that overflows to Infinity', '{"jsonrpc":"2.0","id":1e400,"method":"self.reply","params":{"text":"a"}}', invalid()],
  ['an id past 2^53, echoed as JSON reads it', '{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"self.reply","params":{"text":"a"}}', reply(1.2345678901234568e+29, 'a')],
  ['a negative-zero id', '{"jsonrpc":"2.0","id":-0,"method":"self.reply","params":{"text":"a"}}', reply(0, 'a')],
  ['a huge number as text', call({ params: { text: 1e308 } }), badParams(1, '/text', 'must be string')],
  ['a 400-digit number as text', `{"jsonrpc":"2.0","id":1,"method":"self.reply","params":{"text":${'9'.repeat(400)}}}`, badParams(1, '/text', 'must be string')],
  // prototype pollution keys: JSON.parse makes them own properties, never prototypes
  ['__proto__ in params', '{"jsonrpc":"2.0","id":1,"method":"self.reply","params":{"__proto__":{"polluted":true},"text":"p"}}', reply(1, 'p')],
  ['constructor.prototype in params', '{"jsonrpc":"2.0","id":1,"method":"self.reply","params":{"constructor":{"prototype":{"polluted":true}},"text":"c"}}', reply(1, 'c')],
  ['the request fields hidden under __proto__', '{"__proto__":{"jsonrpc":"2.0","method":"self.reply","params":{"text":"x"}},"id":1}', invalid(1)],
  ['__proto__ as the method', call({ method: '__proto__' }), { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found', data: { method: '__proto__' } } }],
  ['constructor as the method', call({ method: 'constructor' }), { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found', data: { method: 'constructor' } } }],
  ['toString as the method', call({ method: 'toString' }), { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found', data: { method: 'toString' } } }],
  // wrong types, field by field
  ['jsonrpc as a number', call({ jsonrpc: 2 }), invalid(1)],
  ['jsonrpc "1.0"', call({ jsonrpc: '1.0' }), invalid(1)],
  ['jsonrpc null', call({ jsonrpc: null }), invalid(1)],
  ['jsonrpc missing', JSON.stringify({ id: 1, method: 'self.reply', params: { text: 'a' } }), invalid(1)],
  ['method as a number', call({ method: 1 }), invalid(1)],
  ['method null', call({ method: null }), invalid(1)],
  ['method as an array', call({ method: ['self.reply'] }), invalid(1)],
  ['method missing', JSON.stringify({ jsonrpc: '2.0', id: 1 }), invalid(1)],
  ['id as an object', call({ id: { a: 1 } }), invalid()],
  ['id as an array', call({ id: [1] }), invalid()],
  ['id true', call({ id: true }), invalid()],
  ['id null (allowed, answered with null)', call({ id: null }), reply(null, 'ok')],
  ['a fractional id (allowed)', call({ id: 1.5 }), reply(1.5, 'ok')],
  ['params as a string', call({ params: 'text' }), invalid(1)],
  ['params as a number', call({ params: 1 }), invalid(1)],
  ['params true', call({ params: true }), invalid(1)],
  ['params null', call({ params: null }), invalid(1)],
  ['params as an array', call({ params: ['ok'] }), badParams(1, '', 'must be object')],
  ['text as a number', call({ params: { text: 1 } }), badParams(1, '/text', 'must be string')],
  ['text null', call({ params: { text: null } }), badParams(1, '/text', 'must be string')],
  ['text as an array', call({ params: { text: ['a'] } }), badParams(1, '/text', 'must be string')],
  ['text as an object', call({ params: { text: {} } }), badParams(1, '/text', 'must be string')],
  ['text missing', call({ params: {} }), badParams(1, '', 'must have required properties text')],
  ['a scalar batch item', '[1]', [invalid()]],
  ['a batch of one empty array', '[[]]', [invalid()]],
  ['a notification with wrong params (never answered)', JSON.stringify({ jsonrpc: '2.0', method: 'self.reply', params: { text: 1 } }), null],
  ['a notification to an unknown method (never answered)', JSON.stringify({ jsonrpc: '2.0', method: 'nope' }), null],
  // very long methods and ids
  ['a 60,000-character method name', call({ method: longName }), { jsonrpc: '2.0', id: 1, error: { code: -32601, message: 'Method not found', data: { method: longName } } }],
  ['a 60,000-character id', call({ id: longId }), reply(longId, 'ok')]
]

test('hostile JSON-RPC messages each get their exact answer and the connection stays usable', async (t) => {
  const { url } = await startServer(t, CONFIG)
  for (const [name, text, expected] of messageCases) {
    await t.test(name, async (t) => {
      const client = await connect(t, url)
      client.sendRaw(text)
      if (expected !== null) assert.deepEqual(await client.next(), expected)
      // the round trip proves there was no other answer and the connection still works
      assert.deepEqual(await client.call('self.reply', { text: 'after' }, 'probe'), reply('probe', 'after'))
      client.ws.close()
    })
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined)
  assert.equal(Object.hasOwn(Object.prototype, 'polluted'), false)
})

const fragment = (text: string, pieces: number) => {
  const size = Math.ceil(text.length / pieces)
  return Array.from({ length: pieces }, (_, i) => frame(i === 0 ? Op.Text : Op.Continuation, text.slice(i * size, (i + 1) * size), { fin: i === pieces - 1 }))
}
const request = JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'self.reply', params: { text: 'fragmented' } })

/** Raw frames, and how the server must end (or not end) the connection. */
const frameCases: Array<[string, Buffer[], Ending | 'answered']> = [
  ['invalid UTF-8 in a text frame', [frame(Op.Text, Buffer.from([0x7b, 0xff, 0xfe, 0x7d]))], { close: 1007 }],
  ['an overlong UTF-8 encoding', [frame(Op.Text, Buffer.from([0x22, 0xc0, 0xaf, 0x22]))], { close: 1007 }],
  ['a UTF-16 surrogate encoded in UTF-8', [frame(Op.Text, Buffer.from([0x22, 0xed, 0xa0, 0x80, 0x22]))], { close: 1007 }],
  ['invalid UTF-8 split across fragments', [frame(Op.Text, Buffer.from([0x22, 0xe2, 0x82]), { fin: false }), frame(Op.Continuation, Buffer.from([0x28, 0x22]))], { close: 1007 }],
  ['a ping with a 126-byte payload', [frame(Op.Ping, Buffer.alloc(126))], { close: 1002 }],
  ['a fragmented ping', [frame(Op.Ping, 'a', { fin: false }), frame(Op.Continuation, 'b')], { close: 1002 }],
  ['a close frame with a 1-byte body', [frame(Op.Close, Buffer.from([0x03]))], { close: 1002 }],
  ['a close frame with code 999', [frame(Op.Close, Buffer.from([0x03, 0xe7]))], { close: 1002 }],
  ['a close frame with an invalid UTF-8 reason', [frame(Op.Close, Buffer.from([0x03, 0xe8, 0xff]))], { close: 1007 }],
  ['an unmasked client frame', [frame(Op.Text, request, { mask: false })], { close: 1002 }],
  ['RSV1 set without an extension', [frame(Op.Text, request, { rsv: 4 })], { close: 1002 }],
  ['an unknown opcode', [frame(0x3, 'x')], { close: 1002 }],
  ['a continuation with nothing to continue', [frame(Op.Continuation, request)], { close: 1002 }],
  ['a new text frame inside a fragmented message', [frame(Op.Text, '{"a":', { fin: false }), frame(Op.Text, '1}')], { close: 1002 }],
  ['a frame announcing 2^53 bytes', [Buffer.from([0x81, 0xff, 0x00, 0x20, 0, 0, 0, 0, 0, 0])], { close: 1009 }],
  ['a fragmented message growing past the payload limit', [frame(Op.Text, 'x'.repeat(600_000), { fin: false }), frame(Op.Continuation, 'x'.repeat(600_000))], { close: 1009 }],
  ['a binary frame', [frame(Op.Binary, request)], { close: 1003 }],
  ['a message in three fragments', fragment(request, 3), 'answered'],
  ['a message in fragments with a ping between them', [...fragment(request, 2).slice(0, 1), frame(Op.Ping, 'hi'), ...fragment(request, 2).slice(1)], 'answered'],
  ['a message in 1,000 one-byte-ish fragments', fragment(request, request.length), 'answered']
]

test('hostile frames close the connection with the RFC 6455 code, and a second client is not disturbed', async (t) => {
  const { url } = await startServer(t, CONFIG)
  const bystander = await connect(t, url)
  for (const [name, frames, expected] of frameCases) {
    await t.test(name, async (t) => {
      const raw = await openRaw(t, portOf(url))
      for (const data of frames) raw.write(data)
      if (expected === 'answered') {
        const answer = await raw.next()
        if (name.includes('ping')) {
          assert.deepEqual({ opcode: answer?.opcode, payload: answer?.payload.toString() }, { opcode: Op.Pong, payload: 'hi' })
          assert.deepEqual(JSON.parse((await raw.next())!.payload.toString()), reply(7, 'fragmented'))
        } else {
          assert.deepEqual(JSON.parse(answer!.payload.toString()), reply(7, 'fragmented'))
        }
      } else {
        assert.deepEqual((await raw.ending()).ending, expected)
      }
      raw.socket.destroy()
      assert.deepEqual(await bystander.call('self.reply', { text: name }, name), reply(name, name))
    })
  }
})

/** Upgrade requests with something wrong, and the HTTP status each gets; none may reach 101. */
const upgradeCases: Array<[string, string, number]> = [
  ['no Sec-WebSocket-Key', upgradeRequest({ 'Sec-WebSocket-Key': '' }), 400],
  ['a Sec-WebSocket-Key that is not 16 bytes', upgradeRequest({ 'Sec-WebSocket-Key': 'c2hvcnQ=' }), 400],
  ['Sec-WebSocket-Version 12', upgradeRequest({ 'Sec-WebSocket-Version': '12' }), 400],
  ['no Sec-WebSocket-Version', upgradeRequest({ 'Sec-WebSocket-Version': '' }), 400],
  ['Upgrade: h2c', upgradeRequest({ Upgrade: 'h2c' }), 400],
  ['a malformed Sec-WebSocket-Protocol', upgradeRequest({ 'Sec-WebSocket-Protocol': ',,,' }), 400],
  ['an upgrade to another path', upgradeRequest({}, '/nowhere'), 404],
  ['a plain GET on /ws', 'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 404],
  ['a POST upgrade', upgradeRequest().replace('GET', 'POST'), 404],
  ['a 20 KB header', upgradeRequest({ 'X-Filler': 'f'.repeat(20_000) }), 431],
  ['a request line that is not HTTP', 'HELLO\r\n\r\n', 400]
]

test('bad upgrade requests get an HTTP error and never a 101', async (t) => {
  // short: the sockets of upgrades answered outside /ws are reaped after it (see the next test)
  const { url } = await startServer(t, { ...CONFIG, WS_HANDSHAKE_TIMEOUT_MS: 200 })
  for (const [name, text, status] of upgradeCases) {
    await t.test(name, async (t) => {
      const answer = await rawHttp(t, portOf(url), text)
      assert.equal(answer.status, status)
    })
  }
})

test('an upgrade answered outside /ws does not leave its socket open (it used to, and app.close() hung on it)', async (t) => {
  const { url } = await startServer(t, { ...CONFIG, WS_HANDSHAKE_TIMEOUT_MS: 200 })
  const answers = await Promise.all([
    rawHttp(t, portOf(url), upgradeRequest({}, '/nowhere')),
    rawHttp(t, portOf(url), upgradeRequest().replace('GET', 'POST'))
  ])
  assert.deepEqual(answers.map((answer) => answer.status), [404, 404])
  // the server ends them: the client side sees its socket close without having closed it
  await Promise.all(answers.map((answer) => { answer.socket.resume(); return once(answer.socket, 'close') }))
})

test('an upgrade to /health is accepted by @fastify/websocket and closed at once without a status', async (t) => {
  const { url } = await startServer(t, CONFIG)
  const answer = await rawHttp(t, portOf(url), upgradeRequest({}, '/health'))
  assert.equal(answer.status, 101)
  const raw = new RawSocket(answer.socket, answer.rest)
  answer.socket.resume()
  assert.deepEqual((await raw.ending()).ending, { close: 1005 })
  // ws waits up to 30 s for the client's closing frame; this client just leaves
  answer.socket.destroy()
})

test('with auth on, a token in the wrong scheme or place gets 401 before the handshake is even checked', async (t) => {
  const { url } = await startServer(t, { ...CONFIG, WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: 'tok' })
  const cases: Array<[string, Record<string, string>, number]> = [
    ['Basic scheme', { Authorization: 'Basic tok' }, 401],
    ['Token scheme', { Authorization: 'Token tok' }, 401],
    ['the token twice', { Authorization: 'Bearer tok tok' }, 401],
    ['a bad handshake with no token', { 'Sec-WebSocket-Version': '12' }, 401],
    ['a bad handshake with the token', { 'Sec-WebSocket-Version': '12', Authorization: 'Bearer tok' }, 400],
    ['the right token', { Authorization: 'Bearer tok' }, 101]
  ]
  for (const [name, headers, status] of cases) {
    await t.test(name, async (t) => {
      assert.equal((await rawHttp(t, portOf(url), upgradeRequest(headers))).status, status)
    })
  }
})

import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test } from 'node:test'
import fc from 'fast-check'
import WebSocket from 'ws'
import { spawnServer } from '../helpers/child.js'
import { Op, frame, openRaw } from './raw-ws.js'

/** Close codes a client may be sent off with, each documented in docs/protocol.md. */
const DOCUMENTED_CLOSES = new Set([1002, 1003, 1007, 1008, 1009, 4008])
const MAX_BATCH = 100
const DEADLINE_MS = 5_000

type Json = unknown

function isResponse (value: any): boolean {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || value.jsonrpc !== '2.0') return false
  const keys = Object.keys(value).sort().join(',')
  if (!(typeof value.id === 'string' || typeof value.id === 'number' || value.id === null)) return false
  if (keys === 'id,jsonrpc,result') return true
  if (keys !== 'error,id,jsonrpc') return false
  const error = value.error
  const errorKeys = Object.keys(error).sort().join(',')
  return Number.isInteger(error.code) && typeof error.message === 'string' && (errorKeys === 'code,message' || errorKeys === 'code,data,message')
}

function isBroadcast (value: any): boolean {
  return value !== null && typeof value === 'object' && value.jsonrpc === '2.0' && value.method === 'broadcast' &&
    Object.keys(value).sort().join(',') === 'jsonrpc,method,params' &&
    typeof value.params?.text === 'string' && typeof value.params?.from === 'string' && Object.keys(value.params).length === 2
}

/** Every id of the responses in one frame, after checking the frame is a response, a batch of them, or a broadcast. */
function responseIds (text: string): Json[] {
  const value = JSON.parse(text)
  if (isBroadcast(value)) return []
  if (Array.isArray(value)) {
    assert.ok(value.length > 0 && value.every(isResponse), `malformed batch answer: ${text.slice(0, 300)}`)
    return value.map((item) => item.id)
  }
  assert.ok(isResponse(value), `malformed answer: ${text.slice(0, 300)}`)
  return [value.id]
}

const anyValue = fc.oneof(
  { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.constantFrom('2.0', 'self.reply', 'broadcast', '__proto__', 'constructor', 1e308, -0, '') }
)
const request = fc.record({
  jsonrpc: fc.oneof({ weight: 4, arbitrary: fc.constant<Json>('2.0') }, { weight: 1, arbitrary: anyValue }),
  method: fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom<Json>('self.reply', 'broadcast', 'nope', '', '__proto__', 'toString', 'rpc.discover') },
    { weight: 1, arbitrary: fc.string({ maxLength: 300 }) },
    { weight: 1, arbitrary: anyValue }
  ),
  params: fc.oneof(
    { weight: 4, arbitrary: fc.record({ text: fc.string({ unit: 'binary', maxLength: 100 }) }) },
    { weight: 1, arbitrary: fc.record({ text: anyValue }) },
    { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('text', '__proto__', 'constructor', 'x'), anyValue) },
    { weight: 1, arbitrary: anyValue },
    { weight: 1, arbitrary: fc.constant(undefined) }
  ),
  // 'tag': a unique id this test tracks; 'none': a notification; 'random': any value as the id
  idKind: fc.constantFrom('tag', 'tag', 'none', 'random'),
  randomId: anyValue
})
type Request = typeof request extends fc.Arbitrary<infer T> ? T : never

const textFrame = fc.oneof(
  { weight: 10, arbitrary: request.map((r) => ({ kind: 'single' as const, r })) },
  { weight: 3, arbitrary: fc.array(request, { maxLength: 120 }).map((b) => ({ kind: 'batch' as const, b })) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((s) => ({ kind: 'text' as const, s })) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => ({ kind: 'text' as const, s: JSON.stringify(v) })) },
  // sent as a text frame: mostly invalid UTF-8, which closes with 1007
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 32 }).map((bytes) => ({ kind: 'bytes' as const, bytes })) }
)

test('thousands of random frames: the server stays up, answers every tagged request once or closes with a documented code, and a bystander is served throughout', async (t) => {
  const server = await spawnServer(t)
  let nextTag = 0
  let framesSent = 0
  const closes = new Map<number, number>()

  // the well-behaved client: one call at a time, exact answers, broadcasts from the fuzzers tolerated in between
  const bystander = new WebSocket(server.url)
  t.after(() => bystander.terminate())
  await once(bystander, 'open')
  // read in loops that await: fields, so the loops see the other task's writes
  const run = { fuzzing: true, served: 0, bystanderClosed: undefined as number | undefined }
  const bystanderDone = (async () => {
    const inbox: string[] = []
    let wake: (() => void) | undefined
    bystander.on('message', (data) => { inbox.push(data.toString()); wake?.() })
    bystander.once('close', (code) => { run.bystanderClosed = code; wake?.() })
    while (run.fuzzing && run.bystanderClosed === undefined) {
      const id = `calm-${run.served}`
      bystander.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'self.reply', params: { text: id } }))
      for (;;) {
        while (inbox.length === 0 && run.bystanderClosed === undefined) await new Promise<void>((resolve) => { wake = resolve })
        if (run.bystanderClosed !== undefined) return
        const value = JSON.parse(inbox.shift()!)
        if (isBroadcast(value)) continue
        assert.deepEqual(value, { jsonrpc: '2.0', id, result: { text: id } })
        break
      }
      run.served++
    }
  })()

  function encode (r: Request, expected: Set<string>, inBoundedBatch: boolean): Json {
    const message: Record<string, unknown> = { jsonrpc: r.jsonrpc, method: r.method }
    if (r.params !== undefined) message.params = r.params
    if (r.idKind === 'tag') {
      const tag = `t${nextTag++}`
      message.id = tag
      if (inBoundedBatch) expected.add(tag)
    } else if (r.idKind === 'random') {
      message.id = r.randomId
    }
    return message
  }

  await fc.assert(fc.asyncProperty(fc.array(textFrame, { minLength: 10, maxLength: 60, size: 'max' }), async (frames) => {
    const ws = new WebSocket(server.url)
    ws.on('error', () => {})
    const expected = new Set<string>()
    const answered = new Map<string, number>()
    let closedWith: number | undefined
    let settle: (() => void) | undefined
    const check = () => { if (closedWith !== undefined || [...expected].every((tag) => answered.has(tag))) settle?.() }
    ws.on('message', (data) => {
      for (const id of responseIds(data.toString())) {
        if (typeof id === 'string' && /^t\d+$/.test(id)) answered.set(id, (answered.get(id) ?? 0) + 1)
      }
      check()
    })
    ws.on('close', (code) => { closedWith = code; check() })
    await once(ws, 'open')
    for (const item of frames) {
      if (ws.readyState !== WebSocket.OPEN) break
      framesSent++
      if (item.kind === 'single') ws.send(JSON.stringify(encode(item.r, expected, true)))
      else if (item.kind === 'batch') ws.send(JSON.stringify(item.b.map((r) => encode(r, expected, item.b.length <= MAX_BATCH))))
      else if (item.kind === 'text') ws.send(item.s)
      else ws.send(Buffer.from(item.bytes), { binary: false })
    }
    const settled = new Promise<void>((resolve) => { settle = resolve })
    check()
    const timer = setTimeout(() => settle?.(), DEADLINE_MS)
    await settled
    clearTimeout(timer)
    ws.terminate()
    for (const [tag, count] of answered) assert.equal(count, 1, `request ${tag} was answered ${count} times`)
    if (closedWith !== undefined && closedWith !== 1006) {
      assert.ok(DOCUMENTED_CLOSES.has(closedWith), `closed with undocumented code ${closedWith}`)
      closes.set(closedWith, (closes.get(closedWith) ?? 0) + 1)
    } else {
      const missing = [...expected].filter((tag) => !answered.has(tag))
      assert.deepEqual(missing, [], 'requests left unanswered on an open connection')
    }
  }), { numRuns: 200 })

  // raw frames with any opcode, flags and payload, each run ended by a ping: a pong or a documented close must follow
  // mostly well-formed so runs get past the first frame; a close frame is left out, since the server echoes the client's code
  const rawFrame = fc.record({
    opcode: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(Op.Text, Op.Continuation, Op.Ping, Op.Pong) }, { weight: 1, arbitrary: fc.constantFrom(Op.Binary, 3, 7, 11, 15) }),
    fin: fc.oneof({ weight: 4, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    mask: fc.oneof({ weight: 9, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }),
    rsv: fc.oneof({ weight: 9, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 7 }) }),
    payload: fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.string({ maxLength: 100 }).map((text) => Buffer.from(text)))
  })
  await fc.assert(fc.asyncProperty(fc.array(rawFrame, { minLength: 1, maxLength: 10 }), async (frames) => {
    const raw = await openRaw(t, server.port)
    for (const f of frames) {
      framesSent++
      raw.write(frame(f.opcode, Buffer.from(f.payload), { fin: f.fin, mask: f.mask, rsv: f.rsv }))
    }
    raw.write(frame(Op.Ping, 'probe'))
    for (;;) {
      const next = await raw.next()
      assert.ok(next !== undefined, 'the connection ended without a close frame')
      if (next.opcode === Op.Pong && next.payload.toString() === 'probe') break
      if (next.opcode === Op.Close) {
        const code = next.payload.readUInt16BE(0)
        assert.ok(DOCUMENTED_CLOSES.has(code), `closed with undocumented code ${code}`)
        closes.set(code, (closes.get(code) ?? 0) + 1)
        break
      }
    }
    raw.socket.destroy()
  }), { numRuns: 100 })

  run.fuzzing = false
  await bystanderDone
  assert.deepEqual({ bystanderClosed: run.bystanderClosed, exitCode: server.proc.exitCode }, { bystanderClosed: undefined, exitCode: null })
  t.diagnostic(`frames sent: ${framesSent}; bystander answers: ${run.served}; closes: ${JSON.stringify(Object.fromEntries(closes))}`)
  assert.ok(framesSent >= 2000, `only ${framesSent} frames were sent`)
  assert.ok(run.served > 0)
  assert.equal((await fetch(`${server.http}/health`)).status, 200)
})

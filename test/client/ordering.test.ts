import assert from 'node:assert/strict'
import { once } from 'node:events'
import { test, type TestContext } from 'node:test'
import WebSocket, { WebSocketServer } from 'ws'
import type { MessageParams, SubscribeResult } from '../../client/index.js'
import { collect, openClient } from '../helpers/hub-client.js'

// The hub never sends these races on cue, so a scripted server over a real socket sends exactly what the protocol
// allows: live messages that overlap a recovering answer, a repeated message, an epoch change, a frame that is not JSON.

interface Script {
  url: string
  /** Resolves with the next request the client sends, and the socket to answer on. */
  nextRequest (): Promise<{ socket: WebSocket, request: any }>
}

async function scriptedServer (t: TestContext): Promise<Script> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(server, 'listening')
  t.after(() => new Promise<void>((resolve) => { for (const client of server.clients) client.terminate(); server.close(() => resolve()) }))
  const requests: Array<{ socket: WebSocket, request: any }> = []
  const waiters: Array<(value: { socket: WebSocket, request: any }) => void> = []
  server.on('connection', (socket) => {
    socket.on('message', (data) => {
      const item = { socket, request: JSON.parse(String(data)) }
      const waiter = waiters.shift()
      if (waiter) waiter(item)
      else requests.push(item)
    })
  })
  const { port } = server.address() as { port: number }
  return {
    url: `ws://127.0.0.1:${port}/ws`,
    nextRequest: () => {
      const queued = requests.shift()
      return queued ? Promise.resolve(queued) : new Promise((resolve) => waiters.push(resolve))
    }
  }
}

const send = (socket: WebSocket, frame: unknown) => socket.send(JSON.stringify(frame))
const message = (offset: number, epoch = 'E') => ({ jsonrpc: '2.0', method: 'message', params: { channel: 'room', data: `m${offset}`, from: 'x', offset, epoch } })
const answer = (id: number, epoch: string, offset: number, recovered: boolean, offsets: number[], pubEpoch = epoch) => ({
  jsonrpc: '2.0',
  id,
  result: {
    channel: 'room',
    subscribed: true,
    epoch,
    offset,
    recovered,
    publications: offsets.map((n) => message(n, pubEpoch).params)
  }
})

test('messages held during a recovering subscribe come after its publications, none twice; a new epoch starts over', { timeout: 20_000 }, async (t) => {
  const script = await scriptedServer(t)
  const client = await openClient(t, script.url)
  const errors = collect(client, 'error')
  const seen: string[] = []
  const results: SubscribeResult[] = []
  let onSubscribed = () => {}
  const sub = client.subscribe('room', {
    onMessage: (m: MessageParams) => seen.push(`${m.data}@${m.epoch}`),
    onSubscribed: (result) => { results.push(result); onSubscribed() }
  })
  /** A call the script answers: once its answer is in, every frame sent before it was read. */
  const roundTrip = async () => {
    const called = client.call('ping')
    const { socket, request } = await script.nextRequest()
    assert.equal(request.method, 'ping')
    send(socket, { jsonrpc: '2.0', id: request.id, result: 'pong' })
    assert.equal(await called, 'pong')
  }
  const resubscribe = async (epoch: string, offset: number) => {
    const { socket, request } = await script.nextRequest()
    assert.deepEqual(request.params, { channel: 'room', recover: { offset, epoch } })
    return { socket, id: request.id as number }
  }

  const first = await script.nextRequest()
  assert.deepEqual(first.request.params, { channel: 'room' })
  const { socket } = first
  // a live message before the answer is held, and delivered after it
  send(socket, message(1))
  send(socket, answer(first.request.id, 'E', 0, false, []))
  await sub.ready
  send(socket, message(2))
  send(socket, message(2))
  await roundTrip()
  assert.deepEqual(seen, ['m1@E', 'm2@E'])

  // this instance may have missed messages: the client subscribes again from offset 2, on the same connection
  let resubscribed = new Promise<void>((resolve) => { onSubscribed = resolve })
  send(socket, { jsonrpc: '2.0', method: 'resync', params: { reason: 'pubsub_reconnected', since: 1, scope: 'all', channels: ['room'] } })
  const second = await resubscribe('E', 2)
  // live 4 and 5 arrive before the answer, whose publications are 3 and 4
  send(socket, message(4))
  send(socket, message(5))
  send(socket, answer(second.id, 'E', 4, true, [3, 4]))
  await resubscribed
  send(socket, message(6))
  await roundTrip()
  assert.deepEqual(seen, ['m1@E', 'm2@E', 'm3@E', 'm4@E', 'm5@E', 'm6@E'])
  assert.deepEqual(sub.position, { offset: 6, epoch: 'E' })

  // the history was lost: a new epoch, delivered from its start, and its own offsets count again
  resubscribed = new Promise<void>((resolve) => { onSubscribed = resolve })
  send(socket, { jsonrpc: '2.0', method: 'resync', params: { reason: 'pubsub_reconnected', since: 2, scope: 'all' } })
  const third = await resubscribe('E', 6)
  send(socket, answer(third.id, 'F', 2, false, [1, 2]))
  await resubscribed
  send(socket, message(2, 'F'))
  send(socket, message(3, 'F'))
  await roundTrip()
  assert.deepEqual(seen.slice(6), ['m1@F', 'm2@F', 'm3@F'])
  assert.deepEqual(results.map((r) => [r.recovered, r.epoch]), [[false, 'E'], [true, 'E'], [false, 'F']])
  assert.deepEqual(errors, [])
})

test('a frame that is not JSON is reported as EPROTO, and an answer to no pending call is ignored', { timeout: 20_000 }, async (t) => {
  const script = await scriptedServer(t)
  const client = await openClient(t, script.url)
  const errors = collect(client, 'error')
  const called = client.call('ping')
  const { socket, request } = await script.nextRequest()
  socket.send('not json')
  send(socket, { jsonrpc: '2.0', id: 999, result: 'stray' })
  send(socket, { jsonrpc: '2.0', id: request.id, error: { code: -32000, message: 'custom', data: { why: 'because' } } })
  await assert.rejects(called, { name: 'HubError', code: -32000, message: 'custom', data: { why: 'because' } })
  assert.deepEqual(errors.map((err) => [(err as { code?: unknown }).code, err.message]), [['EPROTO', 'the server sent a frame that is not JSON']])
  assert.equal(client.pendingCalls, 0)
})

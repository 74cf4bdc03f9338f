import assert from 'node:assert/strict'
import type { ServerProcess } from './child.js'
import type { TestClient } from './client.js'
import { fetchMetrics, metricValue } from './server.js'

let ids = 0

/** Subscribes and checks the whole answer; the broker has confirmed the channel once it returns. */
export async function subscribe (client: TestClient, channel: string, presence?: true) {
  const id = `s${ids++}`
  const answer = await client.call('subscribe', presence ? { channel, presence } : { channel }, id)
  assert.deepEqual(answer, { jsonrpc: '2.0', id, result: { channel, subscribed: true, epoch: '', offset: 0, recovered: false, publications: [] } })
}

export async function unsubscribe (client: TestClient, channel: string) {
  const id = `u${ids++}`
  const answer = await client.call('unsubscribe', { channel }, id)
  assert.deepEqual(answer, { jsonrpc: '2.0', id, result: { channel, subscribed: false } })
}

export function message (channel: string, data: unknown, from: string) {
  return { jsonrpc: '2.0', method: 'message', params: { channel, data, from } }
}

/** Each instance's `ws_pubsub_received_total`, in instance order. */
export async function receivedCounts (servers: ServerProcess[]): Promise<number[]> {
  return Promise.all(servers.map(async (server) => metricValue(await fetchMetrics(server.http), 'ws_pubsub_received_total') ?? 0))
}

/** The presence answer with its clients sorted by id, so answers from different instances compare whole. */
export async function presenceOf (client: TestClient, channel: string) {
  const id = `p${ids++}`
  const answer = await client.call('presence', { channel }, id)
  assert.equal(answer.id, id)
  const result = answer.result as { channel: string, count: number, clients: Array<{ id: string }> }
  return { ...result, clients: [...result.clients].sort((a, b) => a.id.localeCompare(b.id)) }
}

/**
 * Polls `presence` every 20 ms until it answers `expected` whole, and returns how long that took. Presence on a
 * broker has no event a client can await, so the poll is the wait and `deadlineMs` bounds it.
 */
export async function awaitPresence (client: TestClient, channel: string, expected: unknown, deadlineMs: number): Promise<number> {
  const started = Date.now()
  for (;;) {
    const seen = await presenceOf(client, channel)
    if (isDeepEqual(seen, expected)) return Date.now() - started
    if (Date.now() - started > deadlineMs) assert.deepEqual(seen, expected, `presence of ${channel} after ${deadlineMs} ms`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

function isDeepEqual (a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b)
    return true
  } catch {
    return false
  }
}

/**
 * The subscribe-then-publish race, `rounds` times over `subscribers` clients in parallel: a subscriber takes a fresh
 * channel and, on `subscribed: true`, the publisher (another instance) publishes to it. The subscriber's very next
 * frame must be that message; a frame that does not come within `deadlineMs` is a miss. Returns the misses.
 */
export async function subscribeThenPublish (subscribers: TestClient[], publisher: TestClient, rounds: number, tag: string, deadlineMs = 5_000) {
  let next = 0
  let misses = 0
  const wrong: unknown[] = []
  const publisherAnswers: Promise<unknown>[] = []
  await Promise.all(subscribers.map(async (subscriber) => {
    while (next < rounds) {
      const round = next++
      const channel = `${tag}-${round}`
      await subscribe(subscriber, channel)
      publisher.send({ jsonrpc: '2.0', id: `${tag}:${round}`, method: 'publish', params: { channel, data: round } })
      publisherAnswers.push(publisher.next())
      let timer: NodeJS.Timeout | undefined
      const frame = await Promise.race([subscriber.next(), new Promise((resolve) => { timer = setTimeout(resolve, deadlineMs, 'missed') })])
      clearTimeout(timer)
      if (frame === 'missed') {
        misses++
        return
      }
      if ((frame as { params?: { data?: unknown } }).params?.data !== round) wrong.push(frame)
      await unsubscribe(subscriber, channel)
    }
  }))
  const answers = await Promise.all(publisherAnswers)
  return { misses, wrong, answers }
}

/** The client's own id, as `from` on a message it publishes to a channel only it holds. */
export async function whoAmI (client: TestClient): Promise<string> {
  const channel = `whoami-${ids++}`
  await subscribe(client, channel)
  const id = `w${ids++}`
  client.send({ jsonrpc: '2.0', id, method: 'publish', params: { channel, data: null } })
  // the answer and the message come on two broker paths, in either order
  const frames = [await client.next(), await client.next()]
  const own = frames.find((frame) => frame.method === 'message')
  assert.deepEqual(frames.find((frame) => frame.id === id), { jsonrpc: '2.0', id, result: { channel, published: true, offset: 0, epoch: '' } })
  await unsubscribe(client, channel)
  return own.params.from
}

/** Envelopes a raw broker subscriber saw, by channel: `message` publishes and presence announcements apart. */
export class CarriedTally {
  readonly messages = new Map<string, number>()
  announcements = 0

  /** `data` is one envelope as the broker carried it: a JSON header line, then the payload. */
  note (data: Buffer | Uint8Array) {
    const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength)
    const header = JSON.parse(buffer.subarray(0, buffer.indexOf(0x0a)).toString()) as { t: { channel: string, presence?: true } }
    if (header.t.presence === true) this.announcements++
    else this.messages.set(header.t.channel, (this.messages.get(header.t.channel) ?? 0) + 1)
  }
}

/**
 * Every join and leave is announced on its channel a moment after its answer, so an instance's received total
 * moves after the client saw the answer. This waits until the broker carried `announcements` of them and every
 * instance's total held still for 100 ms (no event says an instance has taken them in; the deadline bounds it).
 */
export async function awaitQuiet (servers: ServerProcess[], tally: CarriedTally, announcements: number, deadlineMs = 5_000): Promise<number[]> {
  const started = Date.now()
  let last = await receivedCounts(servers)
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 100))
    const now = await receivedCounts(servers)
    if (tally.announcements >= announcements && now.every((n, i) => n === last[i])) return now
    if (Date.now() - started > deadlineMs) throw new Error(`not quiet after ${deadlineMs} ms: ${tally.announcements} of ${announcements} announcements, received ${now}`)
    last = now
  }
}

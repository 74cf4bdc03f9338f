import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from './helpers/brokers.js'
import { connect, type TestClient } from './helpers/client.js'
import { spawnCluster } from './helpers/cluster.js'

const SENDERS = 50
/** Requests each sender keeps outstanding; bounded in count (ROUNDS) and time (the deadline below). */
const WINDOW = 4
const MAX_PER_SENDER = 400

test('SIGTERM answers every request it ran, runs no more, and closes with 1001', async (t) => {
  const broker = await startBroker(t, 'redis')
  if (broker === undefined) return
  const [leaving, staying] = await spawnCluster(t, 2, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: broker.url })
  // what ran is what reached the other instance: a broadcast answered or not, once published it is delivered there
  const observer = await connect(t, staying!.url)
  const delivered = new Set<string>()
  observer.ws.on('message', (data) => {
    const message = JSON.parse(data.toString())
    if (message.method === 'broadcast') delivered.add(message.params.text)
  })
  const senders = await Promise.all(Array.from({ length: SENDERS }, () => connect(t, leaving!.url)))
  const sent = new Set<string>()
  const answered = new Set<string>()
  const closes: number[] = []
  let signalled = false

  async function run (sender: TestClient, index: number) {
    let next = 0
    const pending = new Map<string, string>()
    const send = () => {
      const id = `${index}-${next++}`
      sent.add(id)
      pending.set(id, id)
      sender.send({ jsonrpc: '2.0', id, method: 'broadcast', params: { text: id } })
    }
    for (let i = 0; i < WINDOW; i++) send()
    for (;;) {
      let frame: any
      try { frame = await sender.next() } catch { break }
      if (frame.method === 'broadcast') continue
      assert.deepEqual(frame, { jsonrpc: '2.0', id: frame.id, result: { published: true } })
      answered.add(frame.id)
      if (next < MAX_PER_SENDER) send()
    }
    closes.push((await sender.closed).code)
  }
  const runs = senders.map((sender, index) => run(sender, index))
  // SIGTERM once traffic flows on every sender
  const deadline = Date.now() + 10_000
  while (answered.size < SENDERS * WINDOW && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10))
  leaving!.proc.kill('SIGTERM')
  signalled = true
  await Promise.all(runs)
  assert.equal(await leaving!.exited, 0)

  // the observer has everything published before this marker (one broker order for all)
  const marker = await connect(t, staying!.url)
  marker.send({ jsonrpc: '2.0', id: 'm', method: 'broadcast', params: { text: 'marker' } })
  while (!delivered.has('marker')) await new Promise((resolve) => setTimeout(resolve, 10))

  const ranUnanswered = [...delivered].filter((text) => text !== 'marker' && !answered.has(text))
  const unanswered = [...sent].filter((id) => !answered.has(id))
  t.diagnostic(`sent ${sent.size}, answered ${answered.size}, ran ${delivered.size - 1}, sent and never run ${unanswered.length}, ran without an answer ${ranUnanswered.length}`)
  assert.ok(signalled)
  assert.deepEqual(ranUnanswered, [])
  // every unanswered request is one the server never ran
  for (const id of unanswered) assert.equal(delivered.has(id), false)
  assert.deepEqual(closes, Array.from({ length: SENDERS }, () => 1001))
})

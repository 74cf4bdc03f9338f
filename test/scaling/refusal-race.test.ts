import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker, type BrokerKind } from '../helpers/brokers.js'
import { connectMany, FAST_RECOVERY_ENV, spawnCluster, waitForHealth } from '../helpers/cluster.js'

const BURST = 300
const ROUNDS = 3
const UNAVAILABLE = { code: -32001, message: 'Broadcast not confirmed: pub/sub unavailable' }

/**
 * Broadcasts in flight while the broker is killed: some were refused before the instance saw the link go, some
 * were failed by the client library itself (nats.js `DISCONNECT`, ioredis `Connection is closed.`). Every refusal
 * must log the same documented reason, the library's error at most its `cause`.
 */
for (const [kind, env] of [
  ['nats', (url: string) => ({ WS_PUBSUB_ADAPTER: 'nats', WS_NATS_URL: url })],
  ['redis', (url: string) => ({ WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: url })]
] as Array<[BrokerKind, (url: string) => Record<string, string>]>) {
  test(`broadcasts racing a ${kind} kill are refused as "${kind} broker unavailable", whichever side noticed first`, { timeout: 90_000 }, async (t) => {
    const broker = await startBroker(t, kind)
    if (!broker) return
    const [server] = await spawnCluster(t, 1, { ...FAST_RECOVERY_ENV, WS_PUBSUB_ENABLED: 'true', ...env(broker.url) })
    const [client] = await connectMany(t, server!.url, 1)
    let refusals = 0
    let withCause = 0
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < BURST; i++) client!.send({ jsonrpc: '2.0', id: `${round}:${i}`, method: 'broadcast', params: { text: 'x' } })
      // killed while the burst is being read and published, so some publishes are on the wire when the socket drops
      await broker.kill()
      let answered = 0
      while (answered < BURST) {
        const frame = await client!.next()
        if (frame.method === 'broadcast' || frame.method === 'resync') continue
        answered++
        if (frame.error === undefined) assert.deepEqual(frame.result, { published: true })
        else {
          assert.deepEqual(frame.error, UNAVAILABLE)
          refusals++
        }
      }
      await broker.restart()
      await waitForHealth(server!.http, 200)
    }
    assert.ok(refusals > 0, 'no broadcast was refused: the kill did not race the burst')
    // each refusal has its log line; they may trail the answers through the pipe, so the last one is awaited
    let seen = 0
    await server!.waitForLog((line) => line.msg === 'broadcast not published' && ++seen === refusals)
    const lines = server!.logs.filter((line) => line.msg === 'broadcast not published')
    assert.equal(lines.length, refusals)
    for (const line of lines) {
      assert.equal(line.err.message, `${kind} broker unavailable`)
      if (line.err.cause !== undefined) withCause++
    }
    t.diagnostic(`${refusals} refused of ${BURST * ROUNDS}; ${withCause} failed by the client library first (its error kept as cause)`)
  })
}

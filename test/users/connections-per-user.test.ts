import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test, type TestContext } from 'node:test'
import { spawnCluster } from '../helpers/cluster.js'
import { connect, type TestClient } from '../helpers/client.js'
import { startServer } from '../helpers/server.js'

const TOKENS = 'alice:alice-token,bob:bob-token,carol:carol-token'
const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
const TOO_MANY = { code: 4429, reason: 'too many connections for this user' }

/** Admitted: the server reads its frames and answers. Refused: closed before any answer. */
async function outcome (client: TestClient): Promise<'admitted' | { code: number, reason: string }> {
  client.send({ jsonrpc: '2.0', id: 'probe', method: 'self.reply', params: { text: 'probe' } })
  return Promise.race([
    client.next().then((frame) => {
      assert.deepEqual(frame, { jsonrpc: '2.0', id: 'probe', result: { text: 'probe' } })
      return 'admitted' as const
    }),
    client.closed
  ])
}

/**
 * Connects until one is admitted: a slot freed on one instance reaches the shared count when that instance's leave
 * lands, which no client can observe; each attempt waits for its own answer or close, never a timer.
 */
async function connectWhenFreed (t: TestContext, url: string, token: string, deadlineMs = 10_000): Promise<{ client: TestClient, attempts: number }> {
  const started = Date.now()
  for (let attempts = 1; ; attempts++) {
    const client = await connect(t, url, as(token))
    const result = await outcome(client)
    if (result === 'admitted') return { client, attempts }
    assert.deepEqual(result, TOO_MANY)
    if (Date.now() - started > deadlineMs) throw new Error(`still refused after ${attempts} attempts`)
  }
}

const BROKERS = [
  ['redis', { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: 'redis://127.0.0.1:6379/0' }],
  ['nats', { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'nats', WS_NATS_URL: 'nats://127.0.0.1:4222' }]
] as const

for (const [name, broker] of BROKERS) {
  test(`with WS_MAX_CONNECTIONS_PER_USER=2 on two ${name} instances, alice's third connection anywhere closes with 4429, bob is unaffected, a freed slot admits`, { timeout: 60_000 }, async (t) => {
    const servers = await spawnCluster(t, 2, {
      ...broker,
      WS_PUBSUB_CHANNEL: `users-limit-${name}-${randomBytes(4).toString('hex')}`,
      WS_AUTH_ENABLED: 'true',
      WS_BEARER_TOKENS: TOKENS,
      WS_MAX_CONNECTIONS_PER_USER: '2',
      WS_API_ENABLED: 'true',
      WS_API_KEYS: 'api-key'
    })
    const [a, b] = servers as [typeof servers[0], typeof servers[0]]
    assert.equal(a.logs.find((line) => line.msg === 'PubSub adapter configured')?.adapter, name)

    const alice1 = await connect(t, a.url, as('alice-token'))
    assert.equal(await outcome(alice1), 'admitted')
    const alice2 = await connect(t, b.url, as('alice-token'))
    assert.equal(await outcome(alice2), 'admitted')
    // one on each instance: the third is refused on either, as the count is shared
    assert.deepEqual(await outcome(await connect(t, a.url, as('alice-token'))), TOO_MANY)
    assert.deepEqual(await outcome(await connect(t, b.url, as('alice-token'))), TOO_MANY)
    // bob has his own count
    const bob1 = await connect(t, a.url, as('bob-token'))
    const bob2 = await connect(t, b.url, as('bob-token'))
    assert.deepEqual([await outcome(bob1), await outcome(bob2)], ['admitted', 'admitted'])

    // the counting keys are not channels
    const listed = await fetch(`${a.http}/api/channels`, { headers: { authorization: 'Bearer api-key' } })
    assert.deepEqual([listed.status, await listed.json()], [200, { channels: [] }])

    alice1.ws.close(1000)
    assert.deepEqual(await alice1.closed, { code: 1000, reason: '' })
    const { client: alice3, attempts } = await connectWhenFreed(t, b.url, 'alice-token')
    t.diagnostic(`admitted after ${attempts} attempt(s)`)
    // alice holds two again: the next is refused, and the two she holds still answer
    assert.deepEqual(await outcome(await connect(t, a.url, as('alice-token'))), TOO_MANY)
    assert.deepEqual([await outcome(alice2), await outcome(alice3)], ['admitted', 'admitted'])

    // carol opens four at once over both instances: each joins before it reads, so never more than two get in
    const racing = await Promise.all([a, b, a, b].map((server) => connect(t, server.url, as('carol-token'))))
    const results = await Promise.all(racing.map(outcome))
    const admitted = results.filter((result) => result === 'admitted').length
    t.diagnostic(`racing: ${admitted} of 4 admitted`)
    assert.equal(admitted <= 2, true, `admitted ${admitted}`)
    for (const result of results) if (result !== 'admitted') assert.deepEqual(result, TOO_MANY)
  })
}

test('on the local adapter the limit counts this instance\'s connections; without an identity nothing is counted', async (t) => {
  const { url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: TOKENS, WS_MAX_CONNECTIONS_PER_USER: 1 })
  const alice = await connect(t, url, as('alice-token'))
  assert.equal(await outcome(alice), 'admitted')
  assert.deepEqual(await outcome(await connect(t, url, as('alice-token'))), TOO_MANY)
  assert.equal(await outcome(await connect(t, url, as('bob-token'))), 'admitted')
  alice.ws.close(1000)
  await alice.closed
  const { attempts } = await connectWhenFreed(t, url, 'alice-token')
  assert.equal(attempts, 1)

  const { url: open } = await startServer(t, { WS_MAX_CONNECTIONS_PER_USER: 1 })
  const anonymous = [await connect(t, open), await connect(t, open), await connect(t, open)]
  assert.deepEqual(await Promise.all(anonymous.map(outcome)), ['admitted', 'admitted', 'admitted'])
})

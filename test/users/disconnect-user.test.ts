import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { test } from 'node:test'
import { spawnCluster } from '../helpers/cluster.js'
import { connect } from '../helpers/client.js'
import { startServer } from '../helpers/server.js'

const TOKENS = 'alice:alice-token,bob:bob-token'
const KEY = { authorization: 'Bearer api-key' }
const API = { ...KEY, 'content-type': 'application/json' }
const as = (token: string) => ({ headers: { authorization: `Bearer ${token}` } })
const BAD_CLOSE = { statusCode: 400, code: 'WS_ERR_CLOSE_CODE', error: 'Bad Request', message: 'code must be 1000 or 3000-4999, and reason fit 123 bytes' }

// WS_PUBSUB_ENABLED: without it the process runs the `local` adapter, whatever WS_PUBSUB_ADAPTER says
const BROKERS = [
  ['redis', { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: 'redis://127.0.0.1:6379/0' }],
  ['nats', { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'nats', WS_NATS_URL: 'nats://127.0.0.1:4222' }]
] as const

for (const [name, broker] of BROKERS) {
  test(`POST /api/users/alice/disconnect closes alice on every ${name} instance with the code and reason, and leaves bob`, { timeout: 30_000 }, async (t) => {
    const servers = await spawnCluster(t, 3, {
      ...broker,
      WS_PUBSUB_CHANNEL: `users-disconnect-${name}-${randomBytes(4).toString('hex')}`,
      WS_AUTH_ENABLED: 'true',
      WS_BEARER_TOKENS: TOKENS,
      WS_API_ENABLED: 'true',
      WS_API_KEYS: 'api-key'
    })
    const [a, b, c] = servers as [typeof servers[0], typeof servers[0], typeof servers[0]]
    assert.deepEqual(a.logs.find((line) => line.msg === 'PubSub adapter configured')?.adapter, name)
    const aliceOnA = await connect(t, a.url, as('alice-token'))
    const aliceOnB = await connect(t, b.url, as('alice-token'))
    // bob shares b with alice: once b closed alice, a round trip to bob shows b left him alone
    const bobOnB = await connect(t, b.url, as('bob-token'))

    const badCode = await fetch(`${a.http}/api/users/alice/disconnect`, { method: 'POST', headers: API, body: JSON.stringify({ code: 1001 }) })
    assert.deepEqual([badCode.status, await badCode.json()], [400, BAD_CLOSE])
    const longReason = await fetch(`${a.http}/api/users/alice/disconnect`, { method: 'POST', headers: API, body: JSON.stringify({ code: 4000, reason: 'é'.repeat(62) }) })
    assert.deepEqual([longReason.status, await longReason.json()], [400, BAD_CLOSE])

    // asked on a, which holds one of alice's connections: b closes the other on the command
    const answer = await fetch(`${a.http}/api/users/alice/disconnect`, { method: 'POST', headers: API, body: JSON.stringify({ code: 4000, reason: 'kicked' }) })
    assert.deepEqual([answer.status, await answer.json()], [200, { user: 'alice', disconnected: 1, forwarded: true }])
    assert.deepEqual(await aliceOnA.closed, { code: 4000, reason: 'kicked' })
    assert.deepEqual(await aliceOnB.closed, { code: 4000, reason: 'kicked' })
    assert.deepEqual(await bobOnB.call('self.reply', { text: 'still here' }), { jsonrpc: '2.0', id: 1, result: { text: 'still here' } })

    // asked on c, which holds none of bob's, with no body: it closed 0 here and the command closed bob on b with 1000
    const none = await fetch(`${c.http}/api/users/bob/disconnect`, { method: 'POST', headers: KEY })
    assert.deepEqual([none.status, await none.json()], [200, { user: 'bob', disconnected: 0, forwarded: true }])
    assert.deepEqual(await bobOnB.closed, { code: 1000, reason: '' })
  })
}

test('app.wsHub.disconnectUser closes the user\'s connections here, returns how many, and checks code and reason', async (t) => {
  const { app, url } = await startServer(t, { WS_AUTH_ENABLED: true, WS_BEARER_TOKENS: TOKENS })
  const alice1 = await connect(t, url, as('alice-token'))
  const alice2 = await connect(t, url, as('alice-token'))
  const bob = await connect(t, url, as('bob-token'))
  assert.throws(() => app.wsHub.disconnectUser('alice', 1001), { name: 'RangeError', message: 'wsHub.disconnectUser: close code 1001 is not 1000 or 3000-4999' })
  assert.throws(() => app.wsHub.disconnectUser('alice', 4000, 'x'.repeat(124)), { name: 'RangeError', message: 'wsHub.disconnectUser: the reason must fit 123 bytes' })
  assert.throws(() => app.wsHub.disconnectUser(''), { name: 'TypeError', message: 'wsHub.disconnectUser(user): user must be a non-empty string' })
  assert.equal(app.wsHub.disconnectUser('alice', 4001, 'bye'), 2)
  assert.deepEqual(await alice1.closed, { code: 4001, reason: 'bye' })
  assert.deepEqual(await alice2.closed, { code: 4001, reason: 'bye' })
  assert.deepEqual(await bob.call('self.reply', { text: 'ok' }), { jsonrpc: '2.0', id: 1, result: { text: 'ok' } })
  assert.equal(app.wsHub.disconnectUser('carol'), 0)
})

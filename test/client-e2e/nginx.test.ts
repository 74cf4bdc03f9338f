import assert from 'node:assert/strict'
import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { spawnCluster } from '../helpers/cluster.js'
import { range } from '../helpers/follower.js'
import { EPOCH, historyEnv, tailLogs } from '../helpers/history.js'
import { startNginx } from '../helpers/nginx.js'
import { describeClients, watchClient } from '../helpers/watched-client.js'

const CHANNEL = 'sequence'
const TOTAL = 200
const KILL_AFTER = 50
// a steady pace, so the publishes span the kill, the reconnect and the recovery instead of ending before them
const PACE_MS = 5

async function connectionsOf (http: string): Promise<number> {
  const body = await (await fetch(`${http}/health`)).json() as { connections: number }
  return body.connections
}

test(`behind nginx, the instance a client is on is SIGKILLed while ${TOTAL} numbered messages are published: the client recovers on the survivor and gets each once, in order`, { timeout: 30_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const servers = await spawnCluster(t, 2, historyEnv(redis, 'redis'))
  const nginx = await startNginx(t, servers.map((server) => server.port))
  if (!nginx) return
  try {
    const watched = watchClient(t, nginx.url, { reconnect: { minDelayMs: 100, maxDelayMs: 1_000 } })
    const sub = watched.subscribe(CHANNEL)
    const first = await sub.ready
    assert.match(first.epoch, EPOCH)
    // the client id starts with its instance's id; /health agrees, counting the one connection there is
    const onInstance = (await sub.presence()).clients[0]!.id.split('.')[0]!
    const victim = servers[onInstance === 'node0' ? 0 : 1]!
    const survivor = servers[onInstance === 'node0' ? 1 : 0]!
    assert.deepEqual([await connectionsOf(victim.http), await connectionsOf(survivor.http)], [1, 0])

    // the publisher talks to the survivor directly, not through nginx
    const publisher = watchClient(t, survivor.url)
    const acks: unknown[] = []
    const publishing = (async () => {
      for (let n = 0; n < TOTAL; n++) {
        acks.push(await publisher.client.call('publish', { channel: CHANNEL, data: n }))
        await new Promise((resolve) => setTimeout(resolve, PACE_MS))
      }
    })()

    await watched.until(() => watched.messagesOf(CHANNEL).length >= KILL_AFTER, `${KILL_AFTER} messages before the kill`)
    victim.proc.kill('SIGKILL')
    const ackedAtKill = acks.length
    assert.equal(await victim.exited, 'SIGKILL')
    await watched.until(() => watched.subscribedOf(CHANNEL).length === 2, 'the resubscription on the survivor')
    const ackedAtRecovery = acks.length
    await publishing
    await watched.until(() => watched.messagesOf(CHANNEL).length >= TOTAL, `all ${TOTAL} messages`)
    // a round trip after the last: a second copy of any message would have come before this answer
    assert.deepEqual(await watched.client.call('self.reply', { text: 'end' }), { text: 'end' })

    assert.deepEqual(acks, range(1, TOTAL).map((offset) => ({ channel: CHANNEL, published: true, offset, epoch: first.epoch })))
    const messages = watched.messagesOf(CHANNEL)
    assert.deepEqual(messages.map((message) => message.data), range(0, TOTAL - 1))
    assert.deepEqual(messages.map((message) => [message.offset, message.epoch]), range(1, TOTAL).map((offset) => [offset, first.epoch]))

    const [, restored] = watched.subscribedOf(CHANNEL)
    assert.equal(restored!.recovered, true)
    assert.equal(restored!.epoch, first.epoch)
    const recoveredFrom = restored!.offset - restored!.publications.length
    assert.deepEqual(restored!.publications.map((publication) => publication.offset), range(recoveredFrom + 1, restored!.offset))
    // on the survivor now, beside the publisher (presence may still list the killed instance's client for a lease)
    assert.equal(await connectionsOf(survivor.http), 2)

    // nginx passed the reconnect to the survivor: one drop, one reconnect, nothing refused
    assert.deepEqual(watched.heard.filter((entry) => entry.kind === 'connected' || entry.kind === 'disconnected').map((entry) => entry.kind === 'disconnected' ? entry.code : entry.kind),
      ['connected', 1006, 'connected'])
    assert.deepEqual(watched.of('error'), [])
    // the survivor kept its broker link, so it has nothing to resync; each resync would have been followed by a recovery
    assert.deepEqual(watched.of('resync'), [])
    const downMs = watched.of('connected')[1]!.at - watched.of('disconnected')[0]!.at
    t.diagnostic(`${TOTAL} published; the kill came after ${ackedAtKill} acks, the recovery after ${ackedAtRecovery}; ` +
      `${restored!.publications.length} recovered from offset ${recoveredFrom}; reconnected through nginx ${Math.round(downMs)} ms after the drop`)
  } catch (err) {
    tailLogs(t, servers)
    describeClients(t)
    throw err
  }
})

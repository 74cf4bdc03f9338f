import assert from 'node:assert/strict'
import { readFile } from 'node:fs/promises'
import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { broadcastAndTally, connectMany, spawnCluster } from '../helpers/cluster.js'
import { startNginx, templateConfig } from '../helpers/nginx.js'

const instancesOf = (senders: Set<string>) => [...new Set([...senders].map((id) => id.split('.')[0]))].sort()

test('clients through nginx (the shipped config, round robin) get every broadcast exactly once', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const servers = await spawnCluster(t, 3, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: redis.url })
  const nginx = await startNginx(t, servers.map((server) => server.port))
  if (!nginx) return
  const clients = await connectMany(t, nginx.url, 6)

  const tally = await broadcastAndTally(clients, clients, 50, 'nginx')

  t.diagnostic(`delivered ${tally.delivered}, lost ${tally.lost}, duplicated ${tally.duplicated}, acks ${tally.acks.length}`)
  assert.deepEqual({ lost: tally.lost, duplicated: tally.duplicated, delivered: tally.delivered }, { lost: 0, duplicated: 0, delivered: 300 })
  // round robin put the six clients on all three instances, so delivery did cross instances
  assert.deepEqual(instancesOf(tally.senders), ['node0', 'node1', 'node2'])
  const health = await fetch(`${nginx.http}/health`)
  assert.equal(health.status, 200)
})

test('the ip_hash and least_conn variants of the shipped config also deliver every broadcast exactly once', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const servers = await spawnCluster(t, 3, { WS_PUBSUB_ENABLED: 'true', WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: redis.url })
  const ports = servers.map((server) => server.port)
  const sticky = await startNginx(t, ports, 'ip_hash')
  const least = await startNginx(t, ports, 'least_conn')
  if (!sticky || !least) return
  assert.match(sticky.config, /^ {2}ip_hash; /m)
  assert.match(least.config, /^ {2}least_conn; /m)
  const viaSticky = await connectMany(t, sticky.url, 3)
  const viaLeast = await connectMany(t, least.url, 3)
  const everyone = [...viaSticky, ...viaLeast]

  const stickyTally = await broadcastAndTally(viaSticky, everyone, 20, 'sticky')
  assert.deepEqual({ lost: stickyTally.lost, duplicated: stickyTally.duplicated, delivered: stickyTally.delivered }, { lost: 0, duplicated: 0, delivered: 120 })
  // every client comes from 127.0.0.1, so ip_hash pins them all to one instance
  assert.equal(instancesOf(stickyTally.senders).length, 1)

  const leastTally = await broadcastAndTally(viaLeast, everyone, 20, 'least')
  assert.deepEqual({ lost: leastTally.lost, duplicated: leastTally.duplicated, delivered: leastTally.delivered }, { lost: 0, duplicated: 0, delivered: 120 })
  // this nginx holds one connection per instance after each connect, so least_conn spreads them over all three
  assert.deepEqual(instancesOf(leastTally.senders), ['node0', 'node1', 'node2'])
})

test('templating refuses a shipped config that lost the lines the test rewrites', async () => {
  const shipped = await readFile(new URL('../../deploy/nginx.conf', import.meta.url), 'utf8')
  assert.throws(() => templateConfig(shipped.replace('listen 80;', 'listen 8080;'), [1], 2, 'round-robin'), /listen 80;/)
  assert.throws(() => templateConfig(shipped.replace('# least_conn;', ''), [1], 2, 'least_conn'), /least_conn/)
  const config = templateConfig(shipped, [1001, 1002], 2000, 'round-robin')
  assert.match(config, /^ {2}server 127\.0\.0\.1:1001 max_fails=3 fail_timeout=10s;\n {2}server 127\.0\.0\.1:1002 max_fails=3 fail_timeout=10s;$/m)
  assert.match(config, /^ {2}listen 127\.0\.0\.1:2000;$/m)
})

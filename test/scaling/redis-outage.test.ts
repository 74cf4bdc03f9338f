import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { runOutage } from '../helpers/outage.js'

test('redis killed and restarted: instances serve degraded with 503 and -32001, then deliver across instances again', { timeout: 60_000 }, async (t) => {
  const redis = await startBroker(t, 'redis')
  if (!redis) return
  const observed = await runOutage(t, redis, { WS_PUBSUB_ADAPTER: 'redis', WS_REDIS_URL: redis.url })
  t.diagnostic(`503 on all instances ${observed.degradedAfterMs} ms after the kill; 200 on all ${observed.recoveredAfterMs} ms after the restart`)
})

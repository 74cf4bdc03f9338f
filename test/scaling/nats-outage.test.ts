import { test } from 'node:test'
import { startBroker } from '../helpers/brokers.js'
import { runOutage } from '../helpers/outage.js'

test('nats killed and restarted: instances serve degraded with 503 and -32001, then deliver across instances again', { timeout: 60_000 }, async (t) => {
  const nats = await startBroker(t, 'nats')
  if (!nats) return
  const observed = await runOutage(t, nats, { WS_PUBSUB_ADAPTER: 'nats', WS_NATS_URL: nats.url })
  t.diagnostic(`503 on all instances ${observed.degradedAfterMs} ms after the kill; 200 on all ${observed.recoveredAfterMs} ms after the restart`)
})

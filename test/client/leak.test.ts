import assert from 'node:assert/strict'
import { test } from 'node:test'
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import WebSocket from 'ws'
import { HubClient, type HubClientOptions } from '../../client/index.js'
import { spawnServer } from '../helpers/child.js'
import { nextEvent } from '../helpers/hub-client.js'
import { startTcpProxy } from '../helpers/tcp-proxy.js'

const CYCLES = 1_000
const MEASURE_AT = 200
// a leaked socket (several KiB with its buffers and request) per cycle passes this by far over 800 cycles; runs here
// measure 0.3–0.5 MiB of noise (V8's own tables grow as it warms up)
const MAX_HEAP_GROWTH_BYTES = 1024 * 1024

setFlagsFromString('--expose-gc')
const gc = runInNewContext('gc') as () => void

const SOCKET_EVENTS = ['open', 'message', 'close', 'error'] as const
const listenersOf = (socket: WebSocket) => SOCKET_EVENTS.reduce((sum, event) => sum + socket.listenerCount(event), 0)
/** The heap less V8's code space: compiled code keeps growing as the JIT warms up, which is no leak. */
const objectHeapBytes = () => getHeapSpaceStatistics().filter((space) => !space.space_name.startsWith('code')).reduce((sum, space) => sum + space.space_used_size, 0)
const activeTimeouts = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length

test('1,000 reconnects with two subscriptions and calls in each leave listeners, timers, pending calls and heap flat',
  { timeout: 600_000 }, async (t) => {
    // the server runs in its own process: the heap measured here is the client's (and the test's)
    const server = await spawnServer(t, { WS_HISTORY_SIZE: '10' })
    const proxy = await startTcpProxy(t, server.port)
    // only the last two sockets are kept, so the test itself holds no more per cycle
    let current: WebSocket | undefined
    let previous: WebSocket | undefined
    class Tracked extends WebSocket {
      constructor (address: string, protocols?: string | string[]) {
        super(address, protocols)
        previous = current
        current = this
      }
    }
    const client = new HubClient(`ws://127.0.0.1:${proxy.port}/ws`, {
      WebSocket: Tracked as unknown as HubClientOptions['WebSocket'],
      reconnect: { minDelayMs: 1, maxDelayMs: 5 }
    })
    t.after(() => client.close())
    let subscribed = 0
    let onSubscribed = () => {}
    const received = { a: 0, b: 0 }
    const subA = client.subscribe('a', { onMessage: () => { received.a++ }, onSubscribed: () => { subscribed++; onSubscribed() } })
    const subB = client.subscribe('b', { onMessage: () => { received.b++ }, onSubscribed: () => { subscribed++; onSubscribed() } })
    const bothSubscribed = (count: number) => new Promise<void>((resolve) => {
      onSubscribed = () => { if (subscribed >= count) resolve() }
      onSubscribed()
    })
    await bothSubscribed(2)

    let maxClosedListeners = 0
    let maxOpenListeners = 0
    let reset = 0
    const figures: Record<string, { heapBytes: number, objectBytes: number, timeouts: number, listeners: number, pendingCalls: number }> = {}
    const started = Date.now()
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      assert.deepEqual(await client.call('self.reply', { text: 'ping' }), { text: 'ping' })
      await client.call('publish', { channel: 'a', data: cycle })
      await client.call('publish', { channel: 'b', data: cycle })
      maxOpenListeners = Math.max(maxOpenListeners, listenersOf(current!))
      if (previous !== undefined) maxClosedListeners = Math.max(maxClosedListeners, listenersOf(previous))
      if (cycle === MEASURE_AT || cycle === CYCLES) {
        // twice, a turn apart: what the first collection's weak callbacks released goes in the second
        gc()
        await new Promise((resolve) => setImmediate(resolve))
        gc()
        figures[cycle] = { heapBytes: process.memoryUsage().heapUsed, objectBytes: objectHeapBytes(), timeouts: activeTimeouts(), listeners: listenersOf(current!), pendingCalls: client.pendingCalls }
      }
      // a call in flight when the connection is cut: it may have run, so it rejects with ECONNRESET
      const lost = client.call('self.reply', { text: 'lost' })
      const back = nextEvent(client, 'connected')
      proxy.cut()
      proxy.restore()
      await lost.catch((err) => { if (err.code === 'ECONNRESET') reset++ })
      await back
      await bothSubscribed(2 * (cycle + 1))
      // the helper keeps every log line of the server (two per connection): not the client's memory
      server.logs.length = 0
    }
    const seconds = (Date.now() - started) / 1000

    const at200 = figures[MEASURE_AT]!
    const at1000 = figures[CYCLES]!
    const growth = at1000.objectBytes - at200.objectBytes
    const mib = (bytes: number) => (bytes / 1048576).toFixed(2)
    console.log(`leak test: ${CYCLES} reconnects in ${seconds.toFixed(1)} s; after gc, heap used at cycle ${MEASURE_AT} ${mib(at200.heapBytes)} MiB, ` +
      `at cycle ${CYCLES} ${mib(at1000.heapBytes)} MiB; less code space ${mib(at200.objectBytes)} -> ${mib(at1000.objectBytes)} MiB ` +
      `(growth ${(growth / 1024).toFixed(0)} KiB, bound ${MAX_HEAP_GROWTH_BYTES / 1024} KiB); active timeouts ${at200.timeouts} -> ${at1000.timeouts}; ` +
      `listeners on the open socket ${at200.listeners} -> ${at1000.listeners} (max ${maxOpenListeners}), on a closed socket max ${maxClosedListeners}; ` +
      `pending calls ${at200.pendingCalls} -> ${at1000.pendingCalls}`)

    assert.equal(reset, CYCLES, 'each cut call rejected with ECONNRESET')
    assert.deepEqual(received, { a: CYCLES, b: CYCLES })
    assert.equal(maxOpenListeners, 4, 'one listener per event on the open socket')
    assert.equal(maxClosedListeners, 0, 'none left on a closed socket')
    assert.equal(at1000.listeners, at200.listeners)
    assert.equal(at1000.timeouts, at200.timeouts)
    assert.deepEqual([at200.pendingCalls, at1000.pendingCalls], [0, 0])
    assert.ok(growth < MAX_HEAP_GROWTH_BYTES, `heap grew by ${growth} bytes between cycle ${MEASURE_AT} and ${CYCLES}`)
    assert.ok(subA.position !== undefined && subB.position !== undefined)
  })

import { once } from 'node:events'
import { createConnection, createServer, type Socket } from 'node:net'
import type { TestContext } from 'node:test'

/** A loopback TCP relay to `targetPort` that can cut one instance off its broker while the others keep theirs. */
export interface TcpProxy {
  port: number
  /** Drops every relayed connection and refuses new ones (they are closed at once) until `restore()`. */
  cut (): void
  restore (): void
  /**
   * A silent partition of the connections relayed so far: they stay open at both ends but carry nothing more, not
   * even a close. New connections are relayed as usual, as when a client finds a new route.
   */
  freeze (): void
}

interface Pair {
  inbound: Socket
  outbound: Socket
  isFrozen: boolean
}

export async function startTcpProxy (t: TestContext, targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Pair>()
  let isCut = false
  const server = createServer((inbound) => {
    if (isCut) return inbound.destroy()
    const outbound = createConnection({ host: '127.0.0.1', port: targetPort })
    const pair = { inbound, outbound, isFrozen: false }
    pairs.add(pair)
    for (const socket of [inbound, outbound]) {
      // as the endpoints do (ws sets it): without it, Nagle and delayed ACKs add ~40 ms to back-to-back frames
      socket.setNoDelay(true)
      socket.on('close', () => { if (inbound.destroyed && outbound.destroyed) pairs.delete(pair) })
      // a reset on one side ends both; the client sees a dropped connection, as on a real network
      socket.on('error', () => {
        if (pair.isFrozen) return
        inbound.destroy()
        outbound.destroy()
      })
    }
    inbound.pipe(outbound)
    outbound.pipe(inbound)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(async () => {
    for (const pair of pairs) {
      pair.inbound.destroy()
      pair.outbound.destroy()
    }
    server.close()
    await once(server, 'close')
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return {
    port: address.port,
    cut () {
      isCut = true
      for (const pair of pairs) {
        pair.inbound.destroy()
        pair.outbound.destroy()
      }
    },
    restore () {
      isCut = false
    },
    freeze () {
      for (const pair of pairs) {
        pair.isFrozen = true
        // unpipe also stops passing on the end of either side
        pair.inbound.unpipe(pair.outbound)
        pair.outbound.unpipe(pair.inbound)
      }
    }
  }
}

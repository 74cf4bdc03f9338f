import { once } from 'node:events'
import { createConnection, createServer, type Socket } from 'node:net'
import type { TestContext } from 'node:test'

/** A loopback TCP relay to `targetPort` that can cut one instance off its broker while the others keep theirs. */
export interface TcpProxy {
  port: number
  /** Drops every relayed connection and refuses new ones (they are closed at once) until `restore()`. */
  cut (): void
  restore (): void
}

export async function startTcpProxy (t: TestContext, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>()
  let isCut = false
  const server = createServer((inbound) => {
    if (isCut) return inbound.destroy()
    const outbound = createConnection({ host: '127.0.0.1', port: targetPort })
    for (const socket of [inbound, outbound]) {
      sockets.add(socket)
      // as the endpoints do (ws sets it): without it, Nagle and delayed ACKs add ~40 ms to back-to-back frames
      socket.setNoDelay(true)
      socket.on('close', () => sockets.delete(socket))
      // a reset on one side ends both; the client sees a dropped connection, as on a real network
      socket.on('error', () => { inbound.destroy(); outbound.destroy() })
    }
    inbound.pipe(outbound)
    outbound.pipe(inbound)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(async () => {
    for (const socket of sockets) socket.destroy()
    server.close()
    await once(server, 'close')
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return {
    port: address.port,
    cut () {
      isCut = true
      for (const socket of sockets) socket.destroy()
    },
    restore () {
      isCut = false
    }
  }
}

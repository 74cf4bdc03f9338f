import { freePort, startPinned, type Proc } from './procs.js'
import type { Brokers } from './targets.js'

/** Private Redis and NATS on the server core, so the cluster rows share no broker with anything else. */
export async function startBrokers (): Promise<Brokers & { stop (): Promise<void> }> {
  const redisPort = await freePort()
  const natsPort = await freePort()
  const procs: Proc[] = []
  try {
    procs.push(await startPinned('redis-server', ['redis-server', '--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], redisPort))
    procs.push(await startPinned('nats-server', ['nats-server', '-a', '127.0.0.1', '-p', String(natsPort)], natsPort))
  } catch (err) {
    await Promise.all(procs.map((proc) => proc.stop()))
    throw err
  }
  return {
    redisUrl: `redis://127.0.0.1:${redisPort}/0`,
    natsUrl: `nats://127.0.0.1:${natsPort}`,
    async stop () { await Promise.all(procs.map((proc) => proc.stop())) }
  }
}

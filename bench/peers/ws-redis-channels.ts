import { createServer } from 'node:http'
import { Redis } from 'ioredis'
import { WebSocketServer, type WebSocket } from 'ws'

/**
 * The floor for channels: a plain `ws` server on two plain `ioredis` connections, routed per channel like ours
 * (SUBSCRIBE on a channel's first local subscriber, PUBLISH to the channel) and doing nothing else: no validation,
 * no envelope, no checks on what Redis hands over, no metrics. It speaks just enough JSON-RPC for the load
 * generator. What it costs per delivered message is what the socket writes and wake-ups cost on this machine.
 */
const port = Number(process.env.BENCH_PORT)
const prefix = `${process.env.BENCH_CHANNEL ?? 'bench-bare'}:`
const publisher = new Redis(process.env.BENCH_REDIS_URL!)
const subscriber = publisher.duplicate()
const rooms = new Map<string, Set<WebSocket>>()
let received = 0

subscriber.on('messageBuffer', (channel: Buffer, message: Buffer) => {
  received++
  const room = rooms.get(channel.toString().slice(prefix.length))
  if (room === undefined) return
  for (const socket of room) socket.send(message, { binary: false })
})

const httpServer = createServer((request, response) => {
  // the counter ChannelServers.received reads from our own /metrics
  response.end(request.url === '/metrics' ? `ws_pubsub_received_total ${received}\n` : '')
})
const wss = new WebSocketServer({ server: httpServer, perMessageDeflate: false })
wss.on('connection', (socket) => {
  const joined = new Set<string>()
  socket.on('error', () => {})
  socket.on('message', async (data) => {
    const request = JSON.parse(data.toString())
    const channel: string = request.params.channel
    if (request.method === 'publish') {
      await publisher.publish(prefix + channel, JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { channel, data: request.params.data } }))
      return
    }
    let room = rooms.get(channel)
    if (room === undefined) {
      rooms.set(channel, room = new Set())
      await subscriber.subscribe(prefix + channel)
    }
    room.add(socket)
    joined.add(channel)
    socket.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { channel, subscribed: true } }))
  })
  socket.on('close', () => {
    for (const channel of joined) rooms.get(channel)?.delete(socket)
  })
})
httpServer.listen(port, '127.0.0.1', () => console.log(`listening ${port}`))
process.on('SIGTERM', () => process.exit(0))

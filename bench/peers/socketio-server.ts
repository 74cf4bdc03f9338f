import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { createAdapter } from '@socket.io/redis-adapter'
import { Redis } from 'ioredis'

/**
 * The Socket.IO 4 peer, websocket transport only: `broadcast` goes to everyone with `io.emit`,
 * `echo` is acknowledged with its argument. With BENCH_REDIS_URL it runs `@socket.io/redis-adapter`.
 */
const port = Number(process.env.BENCH_PORT)
const redisUrl = process.env.BENCH_REDIS_URL
const httpServer = createServer()
const io = new Server(httpServer, { transports: ['websocket'], perMessageDeflate: false, serveClient: false })

if (redisUrl !== undefined && redisUrl !== '') {
  const pub = new Redis(redisUrl)
  const sub = pub.duplicate()
  io.adapter(createAdapter(pub, sub, { key: process.env.BENCH_CHANNEL ?? 'bench-sio' }))
}

io.on('connection', (socket) => {
  socket.on('broadcast', (text: string) => { io.emit('broadcast', text) })
  socket.on('echo', (text: string, ack: (text: string) => void) => { ack(text) })
})
httpServer.listen(port, '127.0.0.1', () => console.log(`listening ${port}`))
process.on('SIGTERM', () => process.exit(0))

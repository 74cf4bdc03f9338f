import { createServer } from 'node:http'
import { Server } from 'socket.io'
import { createAdapter } from '@socket.io/redis-adapter'
import { Redis } from 'ioredis'

/**
 * The Socket.IO 4 peer for channels, websocket transport only, on `@socket.io/redis-adapter`: `join` puts the
 * socket in a room (acknowledged), `publish` emits `message` to the room on every instance. GET /received answers
 * how many messages this instance took off Redis, the counterpart of our `ws_pubsub_received_total`.
 */
const port = Number(process.env.BENCH_PORT)
const httpServer = createServer()
const io = new Server(httpServer, { transports: ['websocket'], perMessageDeflate: false, serveClient: false })
const pub = new Redis(process.env.BENCH_REDIS_URL!)
const sub = pub.duplicate()
let received = 0
// the adapter PSUBSCRIBEs its prefix: room broadcasts from every instance arrive as pattern messages
sub.on('pmessageBuffer', () => { received++ })
io.adapter(createAdapter(pub, sub, { key: process.env.BENCH_CHANNEL ?? 'bench-sio' }))

httpServer.on('request', (request, response) => {
  if (request.url !== '/received') return
  response.end(String(received))
})
io.on('connection', (socket) => {
  socket.on('join', (room: string, ack: () => void) => {
    socket.join(room)
    ack()
  })
  socket.on('publish', (room: string, data: string) => { io.to(room).emit('message', data) })
})
httpServer.listen(port, '127.0.0.1', () => console.log(`listening ${port}`))
process.on('SIGTERM', () => process.exit(0))

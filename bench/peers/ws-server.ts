import { WebSocketServer } from 'ws'

/**
 * The hand-rolled peers: a plain `ws` server that sends each text frame to every client (BENCH_MODE=broadcast),
 * back to its sender (echo), or answers it as a JSON-RPC request the plain way (json): `JSON.parse` the frame,
 * `JSON.stringify` the response, no checks, which is what our server's request path is measured against.
 * permessage-deflate off, like ours.
 */
const port = Number(process.env.BENCH_PORT)
const mode = process.env.BENCH_MODE ?? 'broadcast'
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, maxPayload: 64 * 1024 })

wss.on('connection', (socket) => {
  socket.on('error', () => {})
  if (mode === 'json') {
    socket.on('message', (data) => {
      const request = JSON.parse(data.toString())
      socket.send(JSON.stringify({ jsonrpc: '2.0', id: request.id, result: { text: request.params.text } }))
    })
    return
  }
  if (mode === 'echo') {
    socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary }))
    return
  }
  socket.on('message', (data, isBinary) => {
    for (const client of wss.clients) {
      if (client.readyState === 1) client.send(data, { binary: isBinary })
    }
  })
})
wss.on('listening', () => console.log(`listening ${port}`))
process.on('SIGTERM', () => process.exit(0))

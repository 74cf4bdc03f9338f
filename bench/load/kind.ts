/**
 * Which server a connection talks to: ours (JSON-RPC), a raw `ws` server (frames, or JSON-RPC), or Socket.IO.
 * Its own file: conn.ts imports socket.io-client, which only bench/node_modules holds.
 */
export type Kind = 'ours' | 'ws' | 'ws-json' | 'sio'

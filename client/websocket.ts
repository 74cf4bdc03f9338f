/**
 * What the client needs of a WebSocket: the browser's, Node's own (undici, Node 22+), and `ws` all fit, so no DOM
 * types are needed. Event arguments are `any` because each implementation has its own event classes.
 */
export interface WebSocketLike {
  readonly readyState: number
  readonly protocol: string
  send (data: string): void
  close (code?: number, reason?: string): void
  /** `ws` only: drops the connection without a close handshake (which waits 30 s on a dead link). */
  terminate? (): void
  onopen: ((event: any) => void) | null
  onmessage: ((event: any) => void) | null
  onclose: ((event: any) => void) | null
  onerror: ((event: any) => void) | null
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike

/** `readyState` of a closed socket, the same in every implementation. */
export const CLOSED = 3

/** `options.WebSocket`, else the global one, else the `ws` package (an optional peer dependency, Node only). */
export async function resolveWebSocket (given: WebSocketConstructor | undefined): Promise<WebSocketConstructor> {
  if (given !== undefined) return given
  const global = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
  if (typeof global === 'function') return global
  let fromPackage: unknown
  try {
    fromPackage = (await import('ws')).default
  } catch (err) {
    fromPackage = err
  }
  if (typeof fromPackage === 'function') return fromPackage as WebSocketConstructor
  throw new Error('no WebSocket: this runtime has no global WebSocket, so install the `ws` package or pass options.WebSocket', { cause: fromPackage })
}

/**
 * Takes the client's handlers off a socket. `ws` throws an `error` event that has no listener (closing a socket
 * that is still connecting emits one), so a no-op stays until the socket has closed.
 */
export function detach (socket: WebSocketLike): void {
  socket.onopen = null
  socket.onmessage = null
  if (socket.readyState === CLOSED) {
    socket.onerror = null
    socket.onclose = null
  } else {
    socket.onerror = () => {}
    socket.onclose = () => { socket.onerror = null; socket.onclose = null }
  }
}

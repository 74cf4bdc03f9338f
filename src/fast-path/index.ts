import type { IncomingMessage } from 'node:http'
import type { WebSocket } from 'ws'
import { releaseUpgrade } from './release-upgrade.js'
import { onMessage, type TextListener } from './text-frame-reader.js'
import { writeFrame } from './write-frame.js'

/**
 * Everything that steps past a library's public API, behind one switch (`fastPath`, `WS_FAST_PATH`).
 * Off, each piece is the public-API path with the same behaviour; docs/architecture.md says what each buys.
 */
export interface FastPath {
  readonly isEnabled: boolean
  /** Adds the socket's message listener; on, short whole text frames skip ws's Receiver. */
  onMessage (socket: WebSocket, listener: TextListener): void
  /** Writes a pre-built frame to the TCP socket; false when it did not (the caller then uses `socket.send`). */
  writeFrame (socket: WebSocket, frame: Buffer | string): boolean
  /** Drops what the finished handshake still holds on the TCP socket. */
  releaseUpgrade (request: IncomingMessage): void
}

const enabled: FastPath = { isEnabled: true, onMessage, writeFrame, releaseUpgrade }

const publicApi: FastPath = {
  isEnabled: false,
  onMessage (socket, listener) { socket.on('message', listener) },
  writeFrame () { return false },
  releaseUpgrade () {}
}

export function fastPath (isEnabled: boolean): FastPath {
  return isEnabled ? enabled : publicApi
}

export type { TextListener }

import { once } from 'node:events'
import type { IncomingMessage } from 'node:http'
import type { TestContext } from 'node:test'
import WebSocket, { type ClientOptions } from 'ws'
import { BEARER_PROTOCOL_PREFIX, SUBPROTOCOL } from '../../src/subprotocol.js'
import { TestClient, type Closed } from './client.js'

/** What the browser client offers: the hub's protocol and the token as `bearer.<base64url>`. */
export function bearerProtocols (token: string): string[] {
  return [SUBPROTOCOL, BEARER_PROTOCOL_PREFIX + Buffer.from(token).toString('base64url')]
}

/** A client offering `protocols`, open, with the 101's `Sec-WebSocket-Protocol` as the server sent it. */
export async function connectOffering (t: TestContext, url: string, protocols: string[], options?: ClientOptions): Promise<{ client: TestClient, echoed: string | undefined }> {
  const ws = new WebSocket(url, protocols, options)
  const client = new TestClient(ws)
  t.after(() => ws.terminate())
  const upgraded = once(ws, 'upgrade') as Promise<[IncomingMessage]>
  await once(ws, 'open')
  const [response] = await upgraded
  return { client, echoed: response.headers['sec-websocket-protocol'] as string | undefined }
}

/**
 * An upgrade refused in-band: the 101 (with the protocol it echoed), then the server's close. Rejects when the server
 * answers HTTP instead, or the connection opens and is not closed by the server.
 */
export async function refusedInBand (t: TestContext, url: string, protocols: string[] = [], options?: ClientOptions): Promise<Closed & { echoed: string | undefined }> {
  const ws = new WebSocket(url, protocols, options)
  const client = new TestClient(ws)
  t.after(() => ws.terminate())
  const refusedOverHttp = new Promise<never>((_resolve, reject) => {
    ws.once('unexpected-response', (_request, response) => reject(new Error(`the upgrade was answered ${response.statusCode} over HTTP`)))
  })
  const upgraded = once(ws, 'upgrade') as Promise<[IncomingMessage]>
  const [response] = await Promise.race([upgraded, refusedOverHttp])
  const closed = await client.closed
  return { ...closed, echoed: response.headers['sec-websocket-protocol'] as string | undefined }
}

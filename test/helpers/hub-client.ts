import type { TestContext } from 'node:test'
import WebSocket from 'ws'
import { HubClient, type HubClientEvents, type HubClientOptions, type MethodsOf } from '../../client/index.js'

/** A client of `url`, closed after the test; resolves once it is connected, rejects if it stops before. */
export async function openClient<M extends MethodsOf<M> = any> (t: TestContext, url: string, options: HubClientOptions = {}): Promise<HubClient<M>> {
  const client = new HubClient<M>(url, options)
  t.after(() => client.close())
  await new Promise<void>((resolve, reject) => {
    const onConnected = () => { done(); resolve() }
    const onDisconnected = ({ code, reason, willReconnect }: HubClientEvents['disconnected']) => {
      if (!willReconnect) { done(); reject(new Error(`the client stopped before it connected: ${code} ${reason}`)) }
    }
    const done = () => { client.off('connected', onConnected); client.off('disconnected', onDisconnected) }
    client.on('connected', onConnected)
    client.on('disconnected', onDisconnected)
  })
  return client
}

/** The payload of the client's next `event`. */
export function nextEvent<E extends keyof HubClientEvents> (client: HubClient<any>, event: E): Promise<HubClientEvents[E]> {
  return new Promise((resolve) => {
    const listener = (payload: HubClientEvents[E]) => {
      client.off(event, listener)
      resolve(payload)
    }
    client.on(event, listener)
  })
}

/** Every event of `event` the client emits, in order. */
export function collect<E extends keyof HubClientEvents> (client: HubClient<any>, event: E): Array<HubClientEvents[E]> {
  const seen: Array<HubClientEvents[E]> = []
  client.on(event, (payload) => seen.push(payload))
  return seen
}

/** The `ws` WebSocket, recording each socket it makes and each frame the client sends: pass it as `options.WebSocket`. */
export function recordingWebSocket () {
  const sockets: WebSocket[] = []
  const sent: any[] = []
  const waiters: Array<(socket: WebSocket) => void> = []
  class Recording extends WebSocket {
    constructor (address: string, protocols?: string | string[]) {
      super(address, protocols)
      sockets.push(this)
      for (const waiter of waiters.splice(0)) waiter(this)
    }

    override send (data: any, ...rest: any[]) {
      sent.push(JSON.parse(String(data)))
      super.send(data, ...rest)
    }
  }
  return {
    WebSocket: Recording as unknown as NonNullable<HubClientOptions['WebSocket']>,
    sockets,
    sent,
    /** Resolves with the next socket made. */
    nextSocket: () => new Promise<WebSocket>((resolve) => waiters.push(resolve))
  }
}

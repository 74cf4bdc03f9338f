/* eslint-disable no-void -- the fixture marks values as used without running them */
// Compiled by `npm run typecheck` (tsc --noEmit), never run: what an app written against the client may and may not
// write. Each `@ts-expect-error` line fails the build if what it forbids starts to compile.
import { HubClient, HubError, type HubClientEvents, type Subscription } from '../../client/index.js'

// an interface or a type alias: both fit
interface ChatMethods {
  'self.reply': { params: { text: string }, result: { text: string } }
  'room.list': { params: undefined, result: string[] }
  'room.find': { params: { prefix?: string }, result: string[] }
}

const chat = new HubClient<ChatMethods>('wss://example.com/ws', { getToken: async () => 'token', timeoutMs: 5_000, reconnect: { minDelayMs: 100 } })
const reply: Promise<{ text: string }> = chat.call('self.reply', { text: 'hi' })
const rooms: Promise<string[]> = chat.call('room.list')
const found: Promise<string[]> = chat.call('room.find')
const foundSome: Promise<string[]> = chat.call('room.find', { prefix: 'a' })
void reply; void rooms; void found; void foundSome
// @ts-expect-error params of the wrong type
void chat.call('self.reply', { text: 42 })
// @ts-expect-error required params left out
void chat.call('self.reply')
// @ts-expect-error a method the map does not have
void chat.call('nope', {})
// @ts-expect-error the result is typed
const wrong: Promise<number> = chat.call('self.reply', { text: 'hi' })
void wrong
chat.notify('self.reply', { text: 'fire and forget' })
// @ts-expect-error notify checks params too
chat.notify('self.reply', { txt: 'typo' })

type Counter = { 'count.get': { params: { name: string }, result: number } }
const counter = new HubClient<Counter>('ws://127.0.0.1:8080/ws')
const count: Promise<number> = counter.call('count.get', { name: 'a' })
void count
// @ts-expect-error a method map's entries have params and result
void new HubClient<{ bad: { params: string } }>('ws://127.0.0.1:8080/ws')

// without a map any method goes, with any params
const loose = new HubClient('ws://127.0.0.1:8080/ws', { token: 'secret', reconnect: false })
void loose.call('anything', { at: 'all' })
void loose.call('no.params')

// events are typed
loose.on('connected', () => {})
loose.on('disconnected', ({ code, reason, willReconnect }) => { const c: number = code; const r: string = reason; const w: boolean = willReconnect; void c; void r; void w })
loose.on('broadcast', ({ text, from }) => { void (text.length + from.length) })
loose.on('resync', ({ reason, since, channels }) => { void reason; void (since + 1); void channels?.length })
const onError = (err: HubClientEvents['error']) => { if (err instanceof HubError) void err.code }
loose.on('error', onError).off('error', onError)
// @ts-expect-error the event set is closed
loose.on('message', () => {})
// @ts-expect-error a payload is typed
loose.on('disconnected', (event: string) => { void event })

// subscriptions
const sub: Subscription<{ body: string }> = loose.subscribe<{ body: string }>('room', {
  presence: true,
  onMessage ({ channel, data, from, offset, epoch }) { void channel; void data.body; void from; void offset; void epoch },
  onJoin ({ client }) { void client.id },
  onLeave ({ client }) { void client.user },
  onSubscribed ({ recovered, publications }) { const r: boolean = recovered; void r; void publications.length }
})
void sub.ready.then(({ epoch, offset }) => { void epoch; void offset })
void sub.presence().then(({ count, clients }) => { void count; void clients[0]?.id })
void sub.history({ since: { offset: 1, epoch: 'e' }, limit: 10, reverse: true }).then(({ publications }) => publications.map((p) => p.offset))
void sub.unsubscribe()
// @ts-expect-error onMessage is required
loose.subscribe('room', {})
// @ts-expect-error history options are checked
void sub.history({ limit: 'ten' })

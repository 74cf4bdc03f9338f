/* eslint-disable no-void -- the fixture marks values as used without running them */
// Compiled by `npm run typecheck` (tsc --noEmit), never run: what an app written against the client may and may not
// write. Each `@ts-expect-error` line fails the build if what it forbids starts to compile.
import { HubClient, HubError, type BuiltinMethods, type HubClientEvents, type LooseMethods, type Subscription } from '../../client/index.js'
import type { MethodTypes } from '../../src/index.js'
import { defineMethod } from '../../src/methods/method.js'
import Type from 'typebox'

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

// without a map the built-ins keep their own types, and any other name goes, with any params
const loose = new HubClient('ws://127.0.0.1:8080/ws', { token: 'secret', reconnect: false, ping: { intervalMs: 1_000 } })
void loose.call('anything', { at: 'all' })
void loose.call('no.params')
const echoed: Promise<{ text: string }> = loose.call('self.reply', { text: 'hi' })
const counted: Promise<{ channel: string, count: number }> = loose.call('presence.count', { channel: 'room' })
const discovered: Promise<string> = loose.call('rpc.discover').then((document) => document.openrpc)
const pong: Promise<{}> = loose.call('rpc.ping')
void echoed; void counted; void discovered; void pong
// @ts-expect-error a built-in's params are checked
void loose.call('self.reply', { text: 1 })
// @ts-expect-error a built-in's params are required
void loose.call('publish')
// @ts-expect-error a built-in's params have no extra names
void loose.call('presence.count', { chanel: 'room' })
// @ts-expect-error a built-in's result is typed
const notAString: Promise<string> = loose.call('self.reply', { text: 'hi' })
void notAString
// @ts-expect-error the ping option is checked
void new HubClient('ws://127.0.0.1:8080/ws', { ping: { intervalMs: '25s' } })
void new HubClient('ws://127.0.0.1:8080/ws', { ping: false })

// the built-ins plus a host's own methods, from their defineMethod schemas: exact, and no other name
const sum = defineMethod({ name: 'sum', params: Type.Object({ a: Type.Number(), b: Type.Number() }), result: Type.Number(), handle: ({ a, b }) => a + b })
const host = new HubClient<BuiltinMethods & MethodTypes<[typeof sum]>>('ws://127.0.0.1:8080/ws')
void sum
const total: Promise<number> = host.call('sum', { a: 1, b: 2 })
const hostEcho: Promise<{ text: string }> = host.call('self.reply', { text: 'hi' })
void total; void hostEcho
// @ts-expect-error sum takes numbers
void host.call('sum', { a: '1', b: 2 })
// @ts-expect-error no method of that name
void host.call('anything', {})

// LooseMethods: nothing checked, built-ins included
const untyped = new HubClient<LooseMethods>('ws://127.0.0.1:8080/ws')
void untyped.call('self.reply', { text: 1 })

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

/* eslint-disable no-void -- the fixture marks values as used without running them */
// Compiled by `npm run typecheck` (tsc --noEmit): the method types a typed client is generic over. Each
// `@ts-expect-error` line fails the build if what it forbids starts to compile.
import Fastify from 'fastify'
import Type from 'typebox'
import wsServer, { defineMethod, type BuiltinMethods, type Method, type MethodTypes } from '../../src/index.js'

/** True only when A and B are the same type (not merely assignable either way). */
type Equals<A, B> = (<T>() => T extends A ? 1 : 2) extends (<T>() => T extends B ? 1 : 2) ? true : false
const same = <A, B>(isSame: Equals<A, B>) => isSame

const sum = defineMethod({
  name: 'sum',
  params: Type.Object({ a: Type.Number(), b: Type.Number() }),
  result: Type.Number(),
  handle: ({ a, b }) => a + b
})
const ping = defineMethod({
  name: 'ping',
  params: Type.Object({ at: Type.Optional(Type.Integer()) }),
  handle: () => 'pong'
})

// the wire name and the schemas keep their literal types
same<typeof sum.name, 'sum'>(true)
same<MethodTypes<[typeof sum]>, { sum: { params: { a: number, b: number }, result: number } }>(true)
// @ts-expect-error the result is a number, not a string
same<MethodTypes<[typeof sum]>, { sum: { params: { a: number, b: number }, result: string } }>(true)
// no result schema: the result is unknown; an optional param stays optional
same<MethodTypes<[typeof ping]>['ping'], { params: { at?: number }, result: unknown }>(true)

type Host = MethodTypes<[typeof sum, typeof ping]>
const sumParams: Host['sum']['params'] = { a: 1, b: 2 }
// @ts-expect-error b is a number
const badParams: Host['sum']['params'] = { a: 1, b: '2' }
// @ts-expect-error a method the list does not have
const missing: Host['product'] = undefined
void sumParams; void badParams; void missing

// the built-ins, as the client's default method map
same<BuiltinMethods['self.reply'], { params: { text: string }, result: { text: string } }>(true)
same<BuiltinMethods['broadcast']['result'], { published: boolean }>(true)
same<BuiltinMethods['presence.count']['params'], { channel: string }>(true)
same<BuiltinMethods['subscribe']['result']['recovered'], boolean>(true)
same<BuiltinMethods['rpc.discover']['result']['openrpc'], string>(true)
// @ts-expect-error self.reply takes text, not message
const reply: BuiltinMethods['self.reply']['params'] = { message: 'hi' }
// @ts-expect-error no built-in of that name
const notBuiltin: BuiltinMethods['self.echo'] = undefined
void reply; void notBuiltin

// what a client's method map asks of each entry
type MethodMap = Record<string, { params: unknown, result: unknown }>
const asMap = <M extends MethodMap>(map?: M) => map
asMap<BuiltinMethods>()
asMap<BuiltinMethods & Host>()

// typed methods still go where any method does
const methods: readonly Method[] = [sum, ping]
const app = Fastify()
await app.register(wsServer, { methods: [sum, ping] })
await app.register(wsServer, { methods })
// @ts-expect-error a method needs a name
defineMethod({ params: Type.Object({}), handle: () => 1 })

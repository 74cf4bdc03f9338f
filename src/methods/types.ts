import type { Static, TSchema } from 'typebox'
import type { builtinMethods } from './index.js'
import type { Method } from './method.js'

/** One method's params and result as TypeScript types, from its schemas; a method without a result schema gives `unknown`. */
export interface MethodType<P = unknown, R = unknown> {
  params: P
  result: R
}

/**
 * The methods of a list by wire name, each with its params and result types: what a typed client is generic over.
 * `MethodTypes<[typeof sum]>` is `{ sum: { params: { a: number, b: number }, result: number } }`.
 */
export type MethodTypes<T extends readonly Method[]> = {
  [M in T[number] as M['name']]: M extends Method<string, infer S, infer R>
    ? MethodType<Static<S>, R extends TSchema ? Static<R> : unknown>
    : never
}

/** The built-in methods' types: `BuiltinMethods['self.reply']` is `{ params: { text: string }, result: { text: string } }`. */
export type BuiltinMethods = MethodTypes<typeof builtinMethods>

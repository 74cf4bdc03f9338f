import type { TSchema } from 'typebox'
import { CLOSE_BRACE, numberEnd, plainStringEnd, QUOTE } from './json-scan.js'

/** Reads the params value in `text` from `start` to just before `end`; undefined when it is not in the expected shape. */
export type ParamsReader = (text: string, start: number, end: number) => object | undefined

type ValueKind = 'string' | 'number' | 'boolean'

/** More properties than this and a request is not worth a reader of its own. */
const MAX_PROPERTIES = 8

/**
 * A reader for params written the way the method's schema lists them: an object whose properties (strings without
 * escapes, numbers, booleans) come in schema order with no whitespace, as `JSON.stringify` writes an object built in
 * that order. It builds the object with a literal of the schema's keys, so V8 neither interns the keys nor walks its
 * map transitions for every frame, as JSON.parse does. Any other text returns undefined and goes to JSON.parse; what
 * the reader accepts, JSON.parse reads to an equal object. The params are still validated afterwards.
 * Undefined when the schema is not such an object.
 */
export function compileParamsReader (schema: TSchema): ParamsReader | undefined {
  const properties = (schema as { type?: unknown, properties?: Record<string, TSchema> }).properties
  if ((schema as { type?: unknown }).type !== 'object' || properties === undefined) return undefined
  const keys = Object.keys(properties)
  // an object literal's "__proto__" sets the prototype where JSON.parse makes an own property
  if (keys.length === 0 || keys.length > MAX_PROPERTIES || keys.includes('__proto__')) return undefined
  const kinds: ValueKind[] = []
  for (const key of keys) {
    const kind = valueKind(properties[key])
    if (kind === undefined) return undefined
    kinds.push(kind)
  }
  const prefixes = keys.map((key, i) => (i === 0 ? '{' : ',') + JSON.stringify(key) + ':')
  // one object literal per schema, compiled once like the validator and the result serializer
  // eslint-disable-next-line no-new-func
  const build = new Function('v', `return {${keys.map((key, i) => `${JSON.stringify(key)}: v[${i}]`).join(', ')}}`) as (values: unknown[]) => object
  // reused: a read runs to its end without yielding, and the literal copies the values out
  const values: unknown[] = new Array(keys.length).fill(undefined)

  return function readParams (text, start, end) {
    let at = start
    for (let i = 0; i < kinds.length; i++) {
      const prefix = prefixes[i]
      if (!text.startsWith(prefix, at)) return undefined
      at += prefix.length
      const kind = kinds[i]
      if (kind === 'string') {
        if (text.charCodeAt(at) !== QUOTE) return undefined
        const close = plainStringEnd(text, at + 1)
        if (close === -1) return undefined
        values[i] = text.slice(at + 1, close)
        at = close + 1
      } else if (kind === 'number') {
        const valueEnd = numberEnd(text, at)
        if (valueEnd === -1) return undefined
        values[i] = Number(text.slice(at, valueEnd))
        at = valueEnd
      } else if (text.startsWith('true', at)) {
        values[i] = true
        at += 4
      } else if (text.startsWith('false', at)) {
        values[i] = false
        at += 5
      } else {
        return undefined
      }
    }
    if (at !== end - 1 || text.charCodeAt(at) !== CLOSE_BRACE) return undefined
    return build(values)
  }
}

function valueKind (schema: TSchema | undefined): ValueKind | undefined {
  const type = (schema as { type?: unknown } | undefined)?.type
  if (type === 'string') return 'string'
  if (type === 'number' || type === 'integer') return 'number'
  if (type === 'boolean') return 'boolean'
  return undefined
}

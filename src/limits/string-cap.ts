import type { TSchema } from 'typebox'

type Schema = Record<string, unknown>

const SUBSCHEMA_LISTS = ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const
const SUBSCHEMA_ONES = ['items', 'additionalProperties', 'not', 'then', 'else', 'if', 'contains', 'additionalItems'] as const
const SUBSCHEMA_MAPS = ['properties', 'patternProperties', '$defs', 'definitions'] as const

/**
 * A copy of a params schema where every string without its own `maxLength` gets `maxLength: max`, so a
 * method's author writes `Type.String()` and the server's WS_MAX_TEXT_LENGTH still applies; a method that
 * wants a tighter or looser bound says so in its schema. The original schema is not touched.
 */
export function capStrings<S extends TSchema> (schema: S, max: number): S {
  return cap(structuredClone(schema) as unknown as Schema, max) as unknown as S
}

function cap (schema: Schema, max: number): Schema {
  if (schema === null || typeof schema !== 'object') return schema
  const type = schema.type
  const isString = type === 'string' || (Array.isArray(type) && type.includes('string'))
  if (isString && schema.maxLength === undefined) schema.maxLength = max
  for (const key of SUBSCHEMA_LISTS) {
    const list = schema[key]
    if (Array.isArray(list)) for (const sub of list) cap(sub as Schema, max)
  }
  for (const key of SUBSCHEMA_ONES) {
    const sub = schema[key]
    if (Array.isArray(sub)) for (const item of sub) cap(item as Schema, max)
    else if (sub !== null && typeof sub === 'object') cap(sub as Schema, max)
  }
  for (const key of SUBSCHEMA_MAPS) {
    const map = schema[key]
    if (map !== null && typeof map === 'object') for (const sub of Object.values(map)) cap(sub as Schema, max)
  }
  return schema
}

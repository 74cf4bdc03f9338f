import type { TSchema } from 'typebox'
import { capStrings } from '../limits/string-cap.js'
import { invalidParams } from './rpc-error.js'

/** The OpenRPC version the document follows: 1.3.2, the newest that OpenRPC tools (playground, generators) read. */
export const OPENRPC_VERSION = '1.3.2'

type JsonSchema = Record<string, unknown> | boolean

export interface ContentDescriptor {
  name: string
  schema: JsonSchema
  required?: boolean
  description?: string
}

export interface OpenRpcMethod {
  name: string
  summary?: string
  paramStructure: 'by-name' | 'by-position' | 'either'
  params: ContentDescriptor[]
  result: ContentDescriptor
  errors: Array<{ code: number, message: string }>
  /** The whole params schema, when it is neither an object nor a tuple and so has no named or numbered params. */
  'x-params-schema'?: JsonSchema
}

/** An OpenRPC 1.x document (https://spec.open-rpc.org), the part of it this server writes. */
export interface OpenRpcDocument {
  openrpc: string
  info: { title: string, version: string, description?: string }
  methods: OpenRpcMethod[]
}

/** What the document needs of a method: the dispatcher's `RpcMethod` and the hub's `Method` both fit. */
export interface DescribedMethod {
  name: string
  params: TSchema
  result?: TSchema | undefined
  summary?: string | undefined
  errors?: readonly { code: number, message: string }[] | undefined
}

export interface DocumentOptions {
  info: OpenRpcDocument['info']
  /** The cap the dispatcher puts on strings without a `maxLength` (WS_MAX_TEXT_LENGTH), so the document says it too. */
  maxStringLength?: number
}

const { code, message } = invalidParams()
const INVALID_PARAMS = { code, message }

/** Describes the methods as an OpenRPC document: each one's params, result and the errors it answers on purpose. */
export function openRpcDocument (methods: readonly DescribedMethod[], options: DocumentOptions): OpenRpcDocument {
  const max = options.maxStringLength ?? Infinity
  return {
    openrpc: OPENRPC_VERSION,
    info: options.info,
    methods: methods.map((method) => describe(method, max))
  }
}

function describe (method: DescribedMethod, maxStringLength: number): OpenRpcMethod {
  const params = plain(Number.isFinite(maxStringLength) ? capStrings(method.params, maxStringLength) : method.params) as Record<string, unknown>
  return {
    name: method.name,
    ...(method.summary === undefined ? {} : { summary: method.summary }),
    ...paramsOf(params),
    // no result schema: any JSON value, written as is
    result: { name: 'result', schema: method.result === undefined ? {} : plain(method.result) },
    // every method validates its params; the rest are the method's own
    errors: [INVALID_PARAMS, ...(method.errors ?? []).map(({ code, message }) => ({ code, message }))]
  }
}

/** By name for an object schema, one descriptor per property; by position for a tuple; else the schema as it is. */
function paramsOf (schema: Record<string, unknown>): Pick<OpenRpcMethod, 'paramStructure' | 'params' | 'x-params-schema'> {
  if (schema.type === 'object') {
    const properties = (schema.properties ?? {}) as Record<string, JsonSchema>
    const required = new Set((schema.required ?? []) as string[])
    return {
      paramStructure: 'by-name',
      params: Object.entries(properties).map(([name, sub]) => ({ name, schema: sub, required: required.has(name) }))
    }
  }
  const items = schema.prefixItems ?? schema.items
  if (schema.type === 'array' && Array.isArray(items)) {
    const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0
    return {
      paramStructure: 'by-position',
      params: (items as JsonSchema[]).map((sub, i) => ({ name: `param${i}`, schema: sub, required: i < minItems }))
    }
  }
  const members = schema.anyOf
  // a method that takes nothing, as `{}` or as `[]` (OpenRPC clients send `[]` when a method has no params)
  const takesNothing = (member: Record<string, unknown>) => {
    const { paramStructure, params } = paramsOf(member)
    return paramStructure !== 'either' && params.length === 0
  }
  if (Array.isArray(members) && members.length > 0 && members.every(takesNothing)) {
    return { paramStructure: 'either', params: [] }
  }
  return { paramStructure: 'either', params: [], 'x-params-schema': schema }
}

/**
 * The schema as plain JSON Schema. TypeBox keeps its own markers (`~kind`, `~optional`) as non-enumerable keys, so
 * a JSON copy leaves exactly what the JSON Schema says, and nothing the OpenRPC meta-schema could trip on.
 */
function plain (schema: TSchema): JsonSchema {
  return JSON.parse(JSON.stringify(schema)) as JsonSchema
}

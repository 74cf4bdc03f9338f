import { CLOSE_BRACE, integerEnd, plainStringEnd } from './json-scan.js'

/** The members of a request read without JSON.parse; the params are only located. */
export interface CanonicalEnvelope {
  method: string
  id: number | null
  isNotification: boolean
  /** Where the params value starts in the text; it ends just before the final `}`. -1: no params. */
  paramsStart: number
}

const PREFIX = '{"jsonrpc":"2.0",'
const ID = '"id":'
const METHOD = '"method":"'
const PARAMS = ',"params":'

const COMMA = 0x2c

/**
 * Reads the envelope as client libraries write it: `{"jsonrpc":"2.0","id":<integer>,"method":"<name>","params":…}`
 * in that order and without whitespace, the id and the params optional. JSON.parse would build the envelope
 * object and look its keys and short values up in V8's string table on every frame, most of its time on a small
 * request. Anything else, from a string id to an escape in the method name, returns undefined and the caller
 * parses the whole text; so does params text that turns out not to be one JSON value (see the dispatcher).
 */
export function readCanonicalEnvelope (text: string): CanonicalEnvelope | undefined {
  if (!text.startsWith(PREFIX)) return undefined
  let at = PREFIX.length
  let id: number | null = null
  const hasId = text.startsWith(ID, at)
  if (hasId) {
    at += ID.length
    const digitsEnd = integerEnd(text, at)
    if (digitsEnd === -1 || text.charCodeAt(digitsEnd) !== COMMA) return undefined
    id = Number(text.slice(at, digitsEnd))
    at = digitsEnd + 1
  }
  if (!text.startsWith(METHOD, at)) return undefined
  at += METHOD.length
  const nameEnd = plainStringEnd(text, at)
  if (nameEnd === -1) return undefined
  const method = text.slice(at, nameEnd)
  at = nameEnd + 1
  const last = text.length - 1
  if (text.charCodeAt(last) !== CLOSE_BRACE) return undefined
  if (at === last) return { method, id, isNotification: !hasId, paramsStart: -1 }
  if (!text.startsWith(PARAMS, at)) return undefined
  return { method, id, isNotification: !hasId, paramsStart: at + PARAMS.length }
}

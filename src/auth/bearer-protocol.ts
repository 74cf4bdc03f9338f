import { BEARER_PROTOCOL_PREFIX } from '../subprotocol.js'

/** A `Sec-WebSocket-Protocol` value split into the token it carried and the protocols left to negotiate. */
export interface OfferedProtocols {
  /** The other entries, as sent; undefined when the header held nothing else. */
  rest: string | undefined
  /**
   * The token of the `bearer.` entry; null when there was one that holds no usable token (not canonical base64url,
   * not UTF-8, empty, control characters or surrounding blanks, or two entries); undefined when there was none.
   */
  token: string | null | undefined
}

const BASE64URL = /^[A-Za-z0-9_-]+$/
// an Authorization header could not carry these either; bearer-auth would trim the blanks
const USABLE = /^[^\p{Cc}\s](?:[^\p{Cc}]*[^\p{Cc}\s])?$/u
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })

/** Takes the `bearer.<base64url(token)>` entries out of a `Sec-WebSocket-Protocol` value. */
export function splitBearerProtocol (header: string): OfferedProtocols {
  const kept: string[] = []
  const carried: string[] = []
  for (const entry of header.split(',')) {
    const name = entry.trim()
    if (name.startsWith(BEARER_PROTOCOL_PREFIX)) carried.push(name.slice(BEARER_PROTOCOL_PREFIX.length))
    else kept.push(entry)
  }
  if (carried.length === 0) return { rest: header, token: undefined }
  return { rest: kept.length === 0 ? undefined : kept.join(','), token: carried.length === 1 ? decodeToken(carried[0]!) : null }
}

/** The token base64url-encodes, or null; only the canonical encoding is taken, so one token has one spelling. */
export function decodeToken (encoded: string): string | null {
  if (!BASE64URL.test(encoded)) return null
  const bytes = Buffer.from(encoded, 'base64url')
  if (bytes.toString('base64url') !== encoded) return null
  let token: string
  try {
    token = utf8.decode(bytes)
  } catch {
    return null
  }
  return USABLE.test(token) ? token : null
}

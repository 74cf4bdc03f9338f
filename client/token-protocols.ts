import { BEARER_PROTOCOL_PREFIX, SUBPROTOCOL } from '../src/subprotocol.js'

/**
 * The subprotocols to offer: always `SUBPROTOCOL` first (the one the server echoes), then the token as
 * `bearer.<base64url>` when there is one. A browser cannot set `Authorization` on a WebSocket; a subprotocol value
 * cannot hold `=`, `/` or `+`, hence base64url without padding.
 */
export function tokenProtocols (token: string | undefined): string[] {
  return token === undefined || token === '' ? [SUBPROTOCOL] : [SUBPROTOCOL, BEARER_PROTOCOL_PREFIX + base64url(token)]
}

/** base64url of the UTF-8 bytes, without padding; TextEncoder and btoa exist in browsers and Node alike. */
export function base64url (text: string): string {
  let binary = ''
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte)
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

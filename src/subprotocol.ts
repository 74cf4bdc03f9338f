/**
 * The WebSocket subprotocol names the hub and its client share. A browser cannot set `Authorization` on a WebSocket,
 * so the client offers `bearer.<base64url of the token>` beside `SUBPROTOCOL`; the server takes the token from it and
 * echoes `SUBPROTOCOL` alone, so the token never comes back and the handshake does not fail. Constants only: the
 * browser bundle imports this file.
 */
export const SUBPROTOCOL = 'ws-hub.v1'
/** Prefix of the offered protocol that carries the token; base64url keeps `=`, `/` and `+` out of it. */
export const BEARER_PROTOCOL_PREFIX = 'bearer.'

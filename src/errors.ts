import createError from '@fastify/error'

/** Start-up and handshake failures, all in one list. */
export const MissingTokensError = createError('WS_ERR_MISSING_TOKENS', 'env/WS_BEARER_TOKENS must list at least one token when WS_AUTH_ENABLED=true', 500)
export const PubSubConnectError = createError<[string, string]>('WS_ERR_PUBSUB_CONNECT', 'cannot reach the %s broker at %s', 503)
export const BadTrustProxyError = createError('WS_ERR_TRUST_PROXY', 'env/WS_TRUST_PROXY must be true, false, a hop count, or comma-separated proxy addresses/CIDRs (or loopback, linklocal, uniquelocal)', 500)

/** RFC 6750 §2.3 puts the token in the query; the URL is logged with every request, so the value is masked. */
export function redactAccessToken (url: string): string {
  return url.replace(/([?&]access_token=)[^&#]*/gi, '$1[Redacted]')
}

interface LoggedRequest {
  method: string
  url: string
  headers?: Record<string, string | string[] | undefined>
  host?: string
  ip?: string
  socket?: { remotePort?: number }
}

/** Fastify's own `req` log serializer, with `access_token` masked in the URL. Embedders pass it as `logger.serializers.req`. */
export function serializeRequest (request: LoggedRequest) {
  return {
    method: request.method,
    url: redactAccessToken(request.url),
    version: request.headers?.['accept-version'] as string | undefined,
    host: request.host,
    remoteAddress: request.ip,
    remotePort: request.socket?.remotePort
  }
}

/** The slice of pino the core uses, so it runs with Fastify's logger or any pino child. */
export interface Logger {
  error (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  info (obj: object, msg?: string): void
  debug (obj: object, msg?: string): void
}

export interface SerializedError {
  [key: string]: unknown
  type: string
  message: string
  stack: string
}

/**
 * pino's `err` serializer joins every cause into `message` (`nats broker unavailable: DISCONNECT`), so one kind of
 * refusal would read differently with each library error under it. This keeps `message` the error's own and logs
 * the cause as a nested `cause`. The standalone server uses it; embedders may pass it as `logger.serializers.err`.
 */
export function serializeError (err: Error, depth = 0): SerializedError {
  // several lines log `err` as a plain message string: those pass as they are, as with pino's own
  if (!(err instanceof Error)) return err
  const fields: SerializedError = { type: err.name, message: err.message, stack: err.stack ?? '' }
  for (const [key, value] of Object.entries(err)) if (key !== 'cause') fields[key] = value
  const cause = err.cause
  // a cause chain that loops back on itself stops here
  if (cause !== undefined && depth < 5) fields.cause = cause instanceof Error ? serializeError(cause, depth + 1) : cause
  return fields
}

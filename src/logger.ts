/** The slice of pino the core uses, so it runs with Fastify's logger or any pino child. */
export interface Logger {
  error (obj: object, msg?: string): void
  warn (obj: object, msg?: string): void
  info (obj: object, msg?: string): void
  debug (obj: object, msg?: string): void
}

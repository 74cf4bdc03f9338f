import Fastify from 'fastify'
import wsServer from './app.js'
import configPlugin from '../plugins/config.js'
import { serializeRequest } from './auth/redact-url.js'
import { serverOptionsFromEnv } from './config/security-env.js'
import { holdTickShape } from './runtime/tick-shape.js'

holdTickShape()

/** Log configuration must be known before Fastify exists; the rest is validated by the config plugin. */
const LOG_LEVELS = new Set(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
const logLevel = process.env.WS_LOG_LEVEL ?? 'info'

async function main () {
  if (!LOG_LEVELS.has(logLevel)) {
    console.error(`env/WS_LOG_LEVEL must be equal to one of the allowed values (${[...LOG_LEVELS].join(', ')})`)
    process.exit(1)
  }
  const app = Fastify({
    // tokens never reach the log: the header is redacted, and `access_token` is masked in the logged URL
    logger: { level: logLevel, redact: ['req.headers.authorization'], serializers: { req: serializeRequest } },
    // trustProxy (WS_TRUST_PROXY) and the handshake timeout are Fastify construction options
    ...serverOptionsFromEnv(process.env),
    // sockets are closed by the hub on shutdown; idle keep-alive HTTP connections must not hold the process
    forceCloseConnections: 'idle'
  })
  try {
    // registered at the root so the process can read host and port; the server plugin reuses it
    await app.register(configPlugin)
    await app.register(wsServer)
    await app.ready()
  } catch (err) {
    app.log.fatal({ err }, (err as Error).message)
    console.error((err as Error).message)
    process.exit(1)
  }
  const { WS_HOST: host, WS_PORT: port, WS_SHUTDOWN_TIMEOUT_MS: shutdownTimeoutMs } = app.wsConfig

  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    app.log.info({ signal }, 'shutting down')
    // a hung close must not keep the process past its timeout
    setTimeout(() => {
      app.log.error('shutdown timed out')
      process.exit(1)
    }, shutdownTimeoutMs + 1_000).unref()
    app.close().then(() => process.exit(0), (err) => {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))

  await app.listen({ host, port })
}

main()

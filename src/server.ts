import closeWithGrace from 'close-with-grace'
import { readEnvironment, type Environment } from './config/env.js'
import { buildStandalone } from './standalone.js'

/** Past the shutdown timeout, a hung close still gets this long before the process exits 1. */
const LAST_SECOND_MS = 1_000

/**
 * The process: reads the environment once, serves, and on SIGTERM/SIGINT drains and closes within the shutdown
 * timeout (close-with-grace: a second signal, or the timeout + 1 s, exits 1 at once).
 */
async function main () {
  let env: Environment
  try {
    env = readEnvironment(process.env)
  } catch (err) {
    console.error((err as Error).message)
    process.exit(1)
  }
  let app: Awaited<ReturnType<typeof buildStandalone>>
  try {
    app = await buildStandalone(env)
    await app.ready()
  } catch (err) {
    console.error((err as Error).message)
    process.exit(1)
  }

  closeWithGrace({
    delay: env.options.shutdownTimeoutMs + LAST_SECOND_MS,
    logger: { error: (message: unknown) => app.log.error(message) },
    onTimeout: () => app.log.error('shutdown timed out')
  }, async ({ signal, err }) => {
    if (err !== undefined) {
      app.log.error({ err }, 'shutting down after an uncaught error')
    } else {
      app.log.info({ signal }, 'shutting down')
      // drained before close: Fastify answers every request with 503 once it closes, and the delay must serve them
      await app.wsHub.drain()
    }
    await app.close()
  })

  await app.listen({ host: env.process.WS_HOST, port: env.process.WS_PORT })
}

main()

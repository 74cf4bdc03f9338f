import { readEnvironment, type Environment } from './config/env.js'
import { buildStandalone } from './standalone.js'

/** The process: reads the environment once, serves, and shuts down on SIGTERM/SIGINT within the shutdown timeout. */
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

  let stopping = false
  const shutdown = (signal: string) => {
    if (stopping) return
    stopping = true
    app.log.info({ signal }, 'shutting down')
    // a hung close must not keep the process past its timeout
    setTimeout(() => {
      app.log.error('shutdown timed out')
      process.exit(1)
    }, env.options.shutdownTimeoutMs + 1_000).unref()
    app.close().then(() => process.exit(0), (err) => {
      app.log.error({ err }, 'shutdown failed')
      process.exit(1)
    })
  }
  process.once('SIGTERM', () => shutdown('SIGTERM'))
  process.once('SIGINT', () => shutdown('SIGINT'))

  await app.listen({ host: env.process.WS_HOST, port: env.process.WS_PORT })
}

main()

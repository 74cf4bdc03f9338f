import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import Fastify, { type FastifyInstance } from 'fastify'
import fastifyStatic from '@fastify/static'
import wsServer, { serializeRequest } from '../../src/index.js'

/** The demo's users; each page picks one and connects with its token (`<user>-demo-token`, as public/app.js builds it). */
export const DEMO_USERS = ['alice', 'bob', 'carol'] as const
export const demoToken = (user: string) => `${user}-demo-token`

const PUBLIC_DIR = fileURLToPath(new URL('public/', import.meta.url))
const BUNDLE_DIR = fileURLToPath(new URL('../../dist/browser/', import.meta.url))
const BUNDLE = 'hub-client.js'

/** The hub with history and tokens, the page, and the client bundle, in one Fastify app. */
export async function buildDemo (options: { logLevel?: string } = {}): Promise<FastifyInstance> {
  if (!existsSync(BUNDLE_DIR + BUNDLE)) throw new Error(`${BUNDLE_DIR}${BUNDLE} is missing: run npm run build:client first`)
  const app = Fastify({ logger: { level: options.logLevel ?? 'info', serializers: { req: serializeRequest } } })
  await app.register(wsServer, {
    instanceId: 'demo',
    // tokens reach the hub through the client's subprotocol carrier: a browser cannot set Authorization
    authEnabled: true,
    bearerTokens: DEMO_USERS.map((user) => `${user}:${demoToken(user)}`).join(','),
    // kept per room, so a page that lost its connection gets what it missed
    historySize: 100
  })
  // the page, and beside it the bundle (with its source map) as /hub-client.js
  await app.register(fastifyStatic, { root: [PUBLIC_DIR, BUNDLE_DIR] })
  return app
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const port = Number(process.env.DEMO_PORT ?? 3000)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`DEMO_PORT must be a port number (0-65535), not "${process.env.DEMO_PORT}"`)
    process.exit(1)
  }
  const app = await buildDemo({ logLevel: 'warn' })
  await app.listen({ host: '127.0.0.1', port })
  console.log(`demo on http://127.0.0.1:${port}/ (open it in two windows; Ctrl-C stops it)`)
}

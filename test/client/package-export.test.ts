import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { test } from 'node:test'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('../..', import.meta.url))

// the package imports itself by name through its `exports`, as an app does; `npm test` builds dist/ first
test('fastify-ws-hub/client resolves to the built client, with its types, and the browser bundle is built beside it', async () => {
  // a variable: tsc does not resolve the package from inside itself
  const specifier = 'fastify-ws-hub/client'
  const client = await import(specifier)
  assert.equal(typeof client.HubClient, 'function')
  assert.equal(typeof client.HubError, 'function')
  assert.equal(client.SUBPROTOCOL, 'ws-hub.v1')
  assert.equal(import.meta.resolve(specifier), new URL('dist/client/index.js', `file://${root}`).href)
  assert.ok(existsSync(`${root}dist/client/index.d.ts`))
  assert.ok(existsSync(`${root}dist/browser/hub-client.js`))
})

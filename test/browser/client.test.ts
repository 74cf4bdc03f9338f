import assert from 'node:assert/strict'
import { existsSync } from 'node:fs'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import { startBroker } from '../helpers/brokers.js'
import { BUNDLE_PATH, chromiumForFile, PageReports, serveFiles, startTogether, withPageLog, type BrowserPage } from '../helpers/browser.js'
import { spawnServer, type ServerProcess } from '../helpers/child.js'
import { startServer } from '../helpers/server.js'

const chromium = chromiumForFile()
const fixture = (name: string) => fileURLToPath(new URL(`fixtures/${name}`, import.meta.url))

// `/`, `+` and `=` are what a subprotocol value cannot hold: the client must carry the token as base64url
const TOKEN = 'tok/en+with=signs'
const API_KEY = 'browser-test-api-key'
const CHANNEL = 'browser.room'
const AUTH_ENV = { WS_AUTH_ENABLED: 'true', WS_BEARER_TOKENS: `browser:${TOKEN}` }

/** What fixtures/page.js puts on the page's window; evaluated functions reach it as `(globalThis as HarnessWindow).harness`. */
type HarnessWindow = typeof globalThis & {
  harness: {
    connect (url: string, token: string): void
    call (method: string, params?: unknown): Promise<any>
    subscribe (channel: string): Promise<any>
    sockets (): Array<{ url: string, protocol: string }>
    state (): string
  }
}

/** The fixture page (test/browser/fixtures/) with the built bundle, loaded and reporting. */
async function openHarness (t: TestContext, { page }: BrowserPage): Promise<PageReports> {
  assert.ok(existsSync(BUNDLE_PATH), `${BUNDLE_PATH} is missing: run npm run build first`)
  const origin = await serveFiles(t, { '/': fixture('page.html'), '/page.js': fixture('page.js'), '/hub-client.js': BUNDLE_PATH })
  const reports = await PageReports.expose(page)
  await page.goto(origin)
  await reports.until('the page loading the bundle', (entry) => entry.event === 'ready')
  return reports
}

/** The URLs of the upgrade requests the server logged (with `access_token` it would show, masked). */
function upgradeUrls (server: ServerProcess): string[] {
  return server.logs.filter((line) => line.msg === 'incoming request' && line.req?.url?.startsWith('/ws')).map((line) => line.req.url)
}

async function apiPublish (server: { http: string }, data: unknown): Promise<{ offset: number, epoch: string }> {
  const response = await fetch(`${server.http}/api/publish`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: CHANNEL, data })
  })
  assert.equal(response.status, 200, await response.clone().text())
  return response.json() as Promise<{ offset: number, epoch: string }>
}

test('a page connects with its token in the subprotocol, calls, subscribes, and after its server is killed and restarted gets what it missed once, in order', { timeout: 60_000 }, async (t) => {
  const [redis, browserPage] = await startTogether(startBroker(t, 'redis'), chromium.open(t))
  if (!redis || !browserPage) return
  const { page } = browserPage
  // history on Redis outlives the page's server process; `other` (in this process) publishes while it is down
  const env = {
    ...AUTH_ENV,
    WS_PUBSUB_ENABLED: 'true',
    WS_PUBSUB_ADAPTER: 'redis',
    WS_REDIS_URL: redis.url,
    WS_PUBSUB_CHANNEL: `browser-test-${process.pid}`,
    WS_HISTORY_SIZE: '100',
    WS_API_ENABLED: 'true',
    WS_API_KEYS: API_KEY
  }
  const [first, other] = await startTogether(spawnServer(t, env), startServer(t, env))

  await withPageLog(browserPage, async () => {
    const reports = await openHarness(t, browserPage)
    await page.evaluate((url, token) => (globalThis as HarnessWindow).harness.connect(url, token), first!.url, TOKEN)
    await reports.until('connected', (entry) => entry.event === 'connected')
    assert.deepEqual(await page.evaluate(() => (globalThis as HarnessWindow).harness.call('self.reply', { text: 'from the page' })), { text: 'from the page' })

    const subscribed = await page.evaluate((channel) => (globalThis as HarnessWindow).harness.subscribe(channel), CHANNEL)
    const epoch = subscribed.epoch
    assert.deepEqual(subscribed, { channel: CHANNEL, subscribed: true, epoch, offset: 0, recovered: false, publications: [] })
    // the server named the page's client after the token it took from the subprotocol
    const join = await reports.until('its own join', (entry) => entry.event === 'join')
    assert.equal(join.params.client.user, 'browser')

    assert.deepEqual(await apiPublish(other!, { n: 1 }), { channel: CHANNEL, published: true, offset: 1, epoch })
    await reports.until('message 1', (entry) => entry.event === 'message' && entry.params.offset === 1)

    first!.proc.kill('SIGKILL')
    assert.equal(await first!.exited, 'SIGKILL')
    const dropped = await reports.until('the drop', (entry) => entry.event === 'disconnected')
    assert.deepEqual(dropped, { event: 'disconnected', code: 1006, reason: '', willReconnect: true })
    // published while the page has no server to reach
    for (const n of [2, 3, 4]) assert.equal((await apiPublish(other!, { n })).offset, n)

    const restarted = await spawnServer(t, { ...env, WS_PORT: String(first!.port) })
    const resubscribed = await reports.until('the resubscription', (entry) => entry.event === 'subscribed' && entry !== reports.of('subscribed')[0])
    assert.equal(resubscribed.result.recovered, true)
    assert.equal(resubscribed.result.epoch, epoch)
    assert.deepEqual(resubscribed.result.publications.map((publication: { offset: number }) => publication.offset), [2, 3, 4])
    // a live message after the recovery: anything delivered twice or late would come before it
    await apiPublish(other!, { n: 5 })
    await reports.until('message 5', (entry) => entry.event === 'message' && entry.params.offset === 5)

    assert.deepEqual(reports.of('message').map((entry) => entry.params), [1, 2, 3, 4, 5].map((n) => ({ channel: CHANNEL, data: { n }, from: 'server', offset: n, epoch })))
    assert.deepEqual(reports.of('subscribed').map((entry) => entry.result.recovered), [false, true])
    assert.equal(reports.of('connected').length, 2)
    assert.deepEqual(reports.of('error'), [])

    // the token went only in the subprotocol: every attempt's URL is bare (those while the server was down failed),
    // the two that opened had the fixed name echoed, and the servers logged bare upgrade URLs
    const sockets = await page.evaluate(() => (globalThis as HarnessWindow).harness.sockets())
    assert.deepEqual(sockets.filter((socket) => socket.url !== first!.url), [])
    assert.deepEqual(sockets.map((socket) => socket.protocol).filter((protocol) => protocol !== ''), ['ws-hub.v1', 'ws-hub.v1'])
    assert.deepEqual([...upgradeUrls(first!), ...upgradeUrls(restarted)], ['/ws', '/ws'])
  })
})

test('with WS_REFUSE_IN_BAND a refused token reaches the page as 4401 with a reason, and the client does not try again', { timeout: 30_000 }, async (t) => {
  const [browserPage, server] = await startTogether(chromium.open(t), startServer(t, { ...AUTH_ENV, WS_REFUSE_IN_BAND: true }))
  if (!browserPage) return
  const { page } = browserPage
  // every upgrade request the server gets, counted beside the hub's own listener
  const upgrades: string[] = []
  server.app.server.on('upgrade', (request) => upgrades.push(request.url ?? ''))

  await withPageLog(browserPage, async () => {
    const reports = await openHarness(t, browserPage)
    await page.evaluate((url) => (globalThis as HarnessWindow).harness.connect(url, 'not-the-token'), server.url)
    const refused = await reports.until('the refusal', (entry) => entry.event === 'disconnected')
    assert.equal(refused.code, 4401)
    assert.match(refused.reason, /\S/)
    assert.equal(refused.willReconnect, false)
    assert.equal(await page.evaluate(() => (globalThis as HarnessWindow).harness.state()), 'closed')
    // a client that retried would have done so within maxDelayMs (250 ms); after four times that, count
    await new Promise((resolve) => setTimeout(resolve, 1_000))
    assert.equal((await page.evaluate(() => (globalThis as HarnessWindow).harness.sockets())).length, 1)
    assert.deepEqual(upgrades, ['/ws'])
    // the upgrade completes before the close (that is what carries the code), so the socket did open once
    assert.deepEqual(reports.all.map((entry) => entry.event), ['ready', 'connected', 'disconnected', 'error'])
    assert.equal(reports.of('error')[0]!.code, 'EAUTH')
  })
})

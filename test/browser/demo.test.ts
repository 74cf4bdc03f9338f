import assert from 'node:assert/strict'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { test, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { Page } from 'puppeteer-core'
import { HubClient } from '../../client/index.js'
import { buildDemo, demoToken } from '../../examples/demo/server.js'
import { chromiumForFile, startTogether, withPageLog } from '../helpers/browser.js'

const chromium = chromiumForFile()
const ROOM = 'kitchen'
const VIEWPORT = { width: 900, height: 560 }
// UPDATE_SCREENSHOT=1 refreshes the committed docs/demo.png; otherwise it goes to a temporary directory
const DOCS_SCREENSHOT = fileURLToPath(new URL('../../docs/demo.png', import.meta.url))
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

async function startDemo (t: TestContext): Promise<string> {
  const app = await buildDemo({ logLevel: 'silent' })
  t.after(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return `http://127.0.0.1:${address.port}`
}

/** Resolves once `selector`'s text contains `text`: awaited on DOM mutations, not polled on a timer. */
async function waitForText (page: Page, selector: string, text: string): Promise<void> {
  const element = await page.waitForSelector(selector)
  try {
    await page.waitForFunction((node, expected) => node.textContent.includes(expected), { polling: 'mutation' }, element, text)
  } catch (err) {
    const shown = await page.$eval(selector, (node) => node.textContent)
    throw new Error(`${selector} never showed "${text}"; it shows "${shown}"`, { cause: err })
  }
}

async function listItems (page: Page, selector: string): Promise<Array<{ text: string, recovered: boolean }>> {
  return page.$$eval(`${selector} li`, (items) => items.map((item) => ({ text: item.textContent, recovered: item.classList.contains('recovered') })))
}

test('the demo page joins a room, shows who is present, chats, and shows what was sent while its network was off, once', { timeout: 40_000 }, async (t) => {
  const [browserPage, origin] = await startTogether(chromium.open(t), startDemo(t))
  if (!browserPage) return
  const { page } = browserPage
  const hubUrl = `${origin.replace('http', 'ws')}/ws`

  await withPageLog(browserPage, async () => {
    await page.setViewport(VIEWPORT)
    await page.goto(origin)
    await waitForText(page, '#status', 'connected as alice')

    await page.locator('#room').fill(ROOM)
    await page.click('#join button')
    await waitForText(page, '#room-name', ROOM)
    await waitForText(page, '#presence', 'alice')

    // bob, from Node with the same client, joins the room too
    const bob = new HubClient(hubUrl, { token: demoToken('bob') })
    t.after(() => bob.close())
    await bob.subscribe(ROOM, { onMessage () {} }).ready
    await waitForText(page, '#presence', 'bob')

    await page.locator('#text').fill('hello from alice')
    await page.keyboard.press('Enter')
    await waitForText(page, '#messages', 'hello from alice')

    await page.click('#network')
    await waitForText(page, '#status', 'disconnected (')
    const sent = await bob.call('publish', { channel: ROOM, data: { user: 'bob', text: 'sent while alice was offline' } })
    assert.equal(sent.offset, 2)

    await page.click('#network')
    await waitForText(page, '#status', 'connected as alice, recovered 1 message')
    // a live message after the recovery: had the recovered one been shown twice, it would be before this one
    await bob.call('publish', { channel: ROOM, data: { user: 'bob', text: 'welcome back' } })
    await waitForText(page, '#messages', 'welcome back')

    assert.deepEqual(await listItems(page, '#messages'), [
      { text: 'alice hello from alice', recovered: false },
      { text: 'bob sent while alice was offline', recovered: true },
      { text: 'bob welcome back', recovered: false }
    ])
    assert.deepEqual((await listItems(page, '#presence')).map((item) => item.text), ['alice', 'bob'])
    assert.equal(await page.$eval('#network', (button) => button.textContent), 'Network on')

    const dir = await mkdtemp(join(tmpdir(), 'demo-shot-'))
    t.after(() => rm(dir, { recursive: true, force: true }))
    const path = process.env.UPDATE_SCREENSHOT === '1' ? DOCS_SCREENSHOT : join(dir, 'demo.png')
    await page.screenshot({ path })
    const png = await readFile(path)
    assert.deepEqual(png.subarray(0, 8), PNG_SIGNATURE)
    // IHDR: width and height, big-endian, right after the signature and the chunk's length and type
    assert.deepEqual({ width: png.readUInt32BE(16), height: png.readUInt32BE(20) }, VIEWPORT)
  })
})

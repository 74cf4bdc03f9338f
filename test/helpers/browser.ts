import { accessSync, constants } from 'node:fs'
import { after, type TestContext } from 'node:test'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'

/** Debian's `chromium` (apt), never a downloaded build; CHROMIUM_PATH points elsewhere. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'

/**
 * The whole command line (puppeteer's defaults are off, so this list is what runs). The background-networking flags
 * keep Chromium from dialling out: on a closed network those connections are refused and slow the start.
 */
export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
  '--hide-scrollbars',
  '--mute-audio'
]

// generous: a page on a loaded 2-core box waits for server processes that restart
const PAGE_TIMEOUT_MS = 20_000

function hasChromium (): boolean {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK)
    return true
  } catch {
    if (process.env.CI === 'true') throw new Error(`${CHROMIUM_PATH} is not installed; .ci/run installs chromium with apt`)
    return false
  }
}

/** A page and what it printed: console lines and uncaught errors, in order. */
export interface BrowserPage {
  page: Page
  log: string[]
}

/**
 * One headless Chromium for the calling test file: launched at the first `open`, closed when the file's tests are
 * done. Each `open` gets a page in its own browser context (no shared cookies or storage), closed after the test.
 */
export function chromiumForFile () {
  let launched: Promise<Browser> | undefined
  after(async () => {
    if (launched !== undefined) await (await launched).close()
  })

  return {
    /** A fresh page, or undefined (the test marked skipped) when chromium is missing outside CI. */
    async open (t: TestContext): Promise<BrowserPage | undefined> {
      if (!hasChromium()) {
        t.skip(`${CHROMIUM_PATH} is not installed`)
        return undefined
      }
      // pipe: no debugging port to find; puppeteer makes a temporary --user-data-dir and removes it on close
      launched ??= puppeteer.launch({ executablePath: CHROMIUM_PATH, ignoreDefaultArgs: true, args: [...CHROMIUM_FLAGS, 'about:blank'], pipe: true })
      const context = await (await launched).createBrowserContext()
      t.after(() => context.close())
      const page = await context.newPage()
      page.setDefaultTimeout(PAGE_TIMEOUT_MS)
      const log: string[] = []
      page.on('console', (message) => log.push(`console.${message.type()}: ${message.text()}`))
      page.on('pageerror', (err) => log.push(`pageerror: ${err instanceof Error ? err.stack ?? err.message : String(err)}`))
      page.on('requestfailed', (request) => log.push(`requestfailed: ${request.url()} ${request.failure()?.errorText ?? ''}`))
      return { page, log }
    }
  }
}

/** Runs `fn`; a failure carries what the page printed, which is where a browser-side cause shows. */
export async function withPageLog<T> (browserPage: BrowserPage, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (err) {
    if (err instanceof Error && browserPage.log.length > 0) {
      err.message += `\n--- the page printed ---\n${browserPage.log.join('\n')}`
    }
    throw err
  }
}

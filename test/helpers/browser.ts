import { accessSync, constants } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import { once } from 'node:events'
import { extname } from 'node:path'
import { after, type TestContext } from 'node:test'
import { fileURLToPath } from 'node:url'
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

/** The client's browser bundle, as `npm run build` writes it. */
export const BUNDLE_PATH = fileURLToPath(new URL('../../dist/browser/hub-client.js', import.meta.url))

const CONTENT_TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' }

/**
 * Serves `files` (URL path → file on disk) on a loopback port until the test ends; a module script needs an http
 * origin, which a data: URL or setContent does not give. Files are read at each request; others answer 404.
 */
export async function serveFiles (t: TestContext, files: Record<string, string>): Promise<string> {
  const server = createServer((request, response) => {
    const path = files[new URL(request.url ?? '/', 'http://x').pathname]
    if (path === undefined) {
      response.writeHead(404).end()
      return
    }
    readFile(path).then(
      (body) => response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(path)] ?? 'application/octet-stream' }).end(body),
      (err: Error) => response.writeHead(500).end(err.message)
    )
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())))
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  return `http://127.0.0.1:${address.port}`
}

export type Report = Record<string, any>

/**
 * What a page hands the test through `window.report(entry)`, kept in order. `until` awaits an entry the way a test
 * awaits a frame: resolved by the report itself, with a deadline that names what was awaited.
 */
export class PageReports {
  readonly all: Report[] = []
  readonly #waiters: Array<{ match: (entry: Report) => boolean, resolve: (entry: Report) => void }> = []

  static async expose (page: Page): Promise<PageReports> {
    const reports = new PageReports()
    await page.exposeFunction('report', (entry: Report) => reports.#add(entry))
    return reports
  }

  #add (entry: Report) {
    this.all.push(entry)
    for (const waiter of [...this.#waiters]) {
      if (waiter.match(entry)) {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        waiter.resolve(entry)
      }
    }
  }

  /** Entries whose `event` is `event`. */
  of (event: string): Report[] {
    return this.all.filter((entry) => entry.event === event)
  }

  /** The first entry so far, or to come, for which `match` is true. */
  until (description: string, match: (entry: Report) => boolean, timeoutMs = PAGE_TIMEOUT_MS): Promise<Report> {
    const seen = this.all.find(match)
    if (seen !== undefined) return Promise.resolve(seen)
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(waiter), 1)
        reject(new Error(`no report of ${description} within ${timeoutMs} ms; reports so far: ${JSON.stringify(this.all)}`))
      }, timeoutMs)
      const waiter = { match, resolve: (entry: Report) => { clearTimeout(timer); resolve(entry) } }
      this.#waiters.push(waiter)
    })
  }
}

/**
 * `Promise.all` for start-ups that run side by side, which waits for every one to settle before it throws: a
 * rejection must not leave a sibling starting a server after the test ended, when its `t.after` no longer runs.
 */
export async function startTogether<T extends readonly unknown[]> (...promises: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((result): result is PromiseRejectedResult => result.status === 'rejected')
  if (failed !== undefined) throw failed.reason
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as { -readonly [K in keyof T]: Awaited<T[K]> }
}

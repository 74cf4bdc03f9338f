import { execFileSync } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** What `npm run build` compiles (tsconfig.build.json), and what it writes. */
const SOURCES = ['src', 'plugins', 'routes']
const CONFIGS = ['tsconfig.json', 'tsconfig.build.json', 'package.json']
export const SERVER_ENTRY = 'dist/src/server.js'

function newestMtime (path: string): number {
  const stat = statSync(path)
  if (!stat.isDirectory()) return stat.mtimeMs
  let newest = stat.mtimeMs
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, entry)))
  return newest
}

/** Why `root`'s dist/ cannot be what its sources build to, or undefined when it is current. */
export function staleReason (root: string): string | undefined {
  const entry = join(root, SERVER_ENTRY)
  if (!existsSync(entry)) return `${entry} is missing`
  const built = statSync(entry).mtimeMs
  for (const source of [...SOURCES, ...CONFIGS]) {
    const path = join(root, source)
    if (existsSync(path) && newestMtime(path) > built) return `${path} changed after ${entry} was built`
  }
  return undefined
}

/**
 * The bench measures the release build, `node dist/src/server.js`, as users run it: our own checkout is built
 * when its dist/ is missing or older than a source; another checkout (BENCH_B_ROOT) is not touched, only refused.
 */
export function ensureRelease (root: string, bRoot?: string) {
  const reason = staleReason(root)
  if (reason !== undefined) {
    console.error(`${reason}: running npm run build`)
    execFileSync('npm', ['run', 'build'], { cwd: root, stdio: ['ignore', process.stderr, 'inherit'] })
    const still = staleReason(root)
    if (still !== undefined) throw new Error(`npm run build left dist/ stale: ${still}`)
  }
  if (bRoot !== undefined && bRoot !== '') {
    const bReason = staleReason(bRoot)
    if (bReason !== undefined) throw new Error(`BENCH_B_ROOT: ${bReason}; run npm run build in ${bRoot} first`)
  }
}

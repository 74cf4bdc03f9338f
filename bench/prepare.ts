import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { root } from './procs.js'
import { ensureRelease } from './release.js'

/** Socket.IO and the peers' `ws` are the bench's own dependencies (bench/package.json), not the server's. */
const BENCH_MODULES = ['socket.io', 'socket.io-client', '@socket.io/redis-adapter', 'ws']

function run (command: string, args: string[]) {
  execFileSync(command, args, { cwd: root, stdio: ['ignore', process.stderr, 'inherit'] })
}

/**
 * Before any server starts: bench/node_modules installed from its lock when a module is missing, the bench
 * type-checked with its own tsconfig (the root one leaves out the files that import Socket.IO), and the release
 * build current (bench/release.ts).
 */
export function prepareBench (bRoot?: string) {
  const benchDir = join(root, 'bench')
  if (BENCH_MODULES.some((name) => !existsSync(join(benchDir, 'node_modules', name, 'package.json')))) {
    console.error('bench/node_modules is incomplete: running npm --prefix bench ci')
    run('npm', ['--prefix', 'bench', 'ci', '--no-audit', '--no-fund'])
  }
  run(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(benchDir, 'tsconfig.json')])
  ensureRelease(root, bRoot)
}

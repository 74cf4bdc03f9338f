import { existsSync, readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

export interface PackageInfo {
  name: string
  version: string
  description?: string
}

// bundled into a file with no package.json above it, the server still answers something true
const UNKNOWN: PackageInfo = { name: 'fastify-ws-hub', version: 'unknown' }

let info: PackageInfo | undefined

/**
 * This package's name, version and description, from the nearest package.json above this file: one folder up
 * from `src/`, two from `dist/src/`, installed or not. Read once, on first use.
 */
export function packageInfo (): PackageInfo {
  info ??= read()
  return info
}

function read (): PackageInfo {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) return UNKNOWN
    dir = parent
  }
  const { name, version, description } = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Partial<PackageInfo>
  return {
    name: name ?? UNKNOWN.name,
    version: version ?? UNKNOWN.version,
    ...(typeof description === 'string' ? { description } : {})
  }
}

// Writes dist/browser/hub-client.js: the client as one minified ES module for browsers (`npm run build` runs it).
import { build, type BuildOptions, type Plugin } from 'esbuild'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
export const BROWSER_BUNDLE = 'dist/browser/hub-client.js'

/** Browsers have a global WebSocket, so the `ws` fallback is never reached: it bundles to nothing at all. */
const noWs: Plugin = {
  name: 'no-ws',
  setup (esbuild) {
    esbuild.onResolve({ filter: /^ws$/ }, () => ({ path: 'ws', namespace: 'no-ws' }))
    esbuild.onLoad({ filter: /.*/, namespace: 'no-ws' }, () => ({ contents: 'export default undefined', loader: 'js' }))
  }
}

export const browserBuild: BuildOptions = {
  absWorkingDir: root,
  entryPoints: ['client/index.ts'],
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  plugins: [noWs]
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build({ ...browserBuild, outfile: BROWSER_BUNDLE, sourcemap: true })
  console.log(`wrote ${BROWSER_BUNDLE}`)
}

/**
 * Preloaded into every server under test (ours and the peers alike, with --expose-gc): on SIGUSR2 it collects
 * garbage and prints the process's memory, so idle-connection figures count what is retained, not what awaits GC.
 * Plain JavaScript: our server runs from dist/ without tsx, as users run it.
 */
const gc = globalThis.gc
process.on('SIGUSR2', () => {
  gc?.()
  gc?.()
  console.log(`bench-mem ${JSON.stringify(process.memoryUsage())}`)
})

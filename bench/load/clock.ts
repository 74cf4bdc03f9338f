/** Microseconds on CLOCK_MONOTONIC, which every process on the machine shares: the one clock for end-to-end latency. */
export function nowUs (): number {
  const [s, ns] = process.hrtime()
  return s * 1e6 + ns / 1e3
}

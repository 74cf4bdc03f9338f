// The same tests with WS_FAST_PATH=false: the public-API path must behave exactly as the fast path does.
process.env.TEST_FAST_PATH = 'false'
await import('../security/limits.test.js')

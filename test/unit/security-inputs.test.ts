import assert from 'node:assert/strict'
import { test } from 'node:test'
import { TokenSet } from '../../src/auth/token-set.js'
import { OriginList } from '../../src/limits/origin-list.js'
import { redactAccessToken } from '../../src/auth/redact-url.js'
import { parseTrustProxy } from '../../src/config/trust-proxy.js'

test('tokens are labelled by position; blanks and spaces around commas are ignored', () => {
  const tokens = TokenSet.parse(' one, ,two ,three')
  assert.deepEqual(
    ['one', 'two', 'three', 'four', '', 'one ', 'On'].map((token) => tokens.identify(token)),
    ['token-0', 'token-1', 'token-2', undefined, undefined, undefined, undefined]
  )
  assert.equal(tokens.size, 3)
})

test('access_token is masked wherever it sits in the query, and nothing else is touched', () => {
  assert.deepEqual([
    '/ws?access_token=abc',
    '/ws?x=1&access_token=abc&y=2',
    '/ws?ACCESS_TOKEN=abc#frag',
    '/ws?my_access_token=abc',
    '/ws'
  ].map(redactAccessToken), [
    '/ws?access_token=[Redacted]',
    '/ws?x=1&access_token=[Redacted]&y=2',
    '/ws?ACCESS_TOKEN=[Redacted]#frag',
    '/ws?my_access_token=abc',
    '/ws'
  ])
})

test('the origin list matches exact origins, case-insensitively, and lets non-browser clients through', () => {
  const origins = OriginList.parse('https://app.example.com, http://localhost:3000/')
  assert.deepEqual(
    ['https://app.example.com', 'HTTPS://APP.EXAMPLE.COM', 'http://localhost:3000', 'https://evil.example.com', 'null', undefined].map((o) => origins.allows(o)),
    [true, true, true, false, false, true]
  )
  assert.equal(OriginList.parse('').allows('https://anything'), true)
})

test('WS_TRUST_PROXY reads as Fastify\'s trustProxy, and anything Fastify would throw on reads as undefined', () => {
  const hops = parseTrustProxy('2') as (address: string, hop: number) => boolean
  assert.deepEqual(
    ['false', '', undefined, 'true', '10.0.0.0/8, 127.0.0.1', 'loopback,::1', 'everyone', '999.1.1.1', '10.0.0.0/33', 'abc', '1.2.3.4/8/8']
      .map((value) => parseTrustProxy(value)),
    [false, false, false, true, '10.0.0.0/8,127.0.0.1', 'loopback,::1', undefined, undefined, undefined, undefined, undefined]
  )
  assert.deepEqual([hops('a', 0), hops('a', 1), hops('a', 2)], [true, true, false])
})

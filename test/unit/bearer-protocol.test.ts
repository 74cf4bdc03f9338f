import assert from 'node:assert/strict'
import { test } from 'node:test'
import { decodeToken, splitBearerProtocol } from '../../src/auth/bearer-protocol.js'

const encode = (text: string | Buffer) => Buffer.from(text).toString('base64url')

test('the bearer. entry is taken out and the other entries are kept as sent', () => {
  const token = encode('alpha-secret')
  assert.deepEqual(splitBearerProtocol(`ws-hub.v1, bearer.${token}`), { rest: 'ws-hub.v1', token: 'alpha-secret' })
  assert.deepEqual(splitBearerProtocol(`bearer.${token},chat, ws-hub.v1`), { rest: 'chat, ws-hub.v1', token: 'alpha-secret' })
  assert.deepEqual(splitBearerProtocol(`bearer.${token}`), { rest: undefined, token: 'alpha-secret' })
  assert.deepEqual(splitBearerProtocol('chat, ws-hub.v1'), { rest: 'chat, ws-hub.v1', token: undefined })
  // names are case-sensitive (RFC 6455 §4.1): this is some other protocol
  assert.deepEqual(splitBearerProtocol(`Bearer.${token}`), { rest: `Bearer.${token}`, token: undefined })
  assert.deepEqual(splitBearerProtocol(`bearer.${token}, bearer.${token}`), { rest: undefined, token: null })
})

test('a token decodes only from its canonical base64url, as printable UTF-8', () => {
  const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln'
  assert.equal(decodeToken(encode(jwt)), jwt)
  assert.equal(decodeToken(encode('jetón ünicode')), 'jetón ünicode')
  assert.equal(decodeToken(encode('a b')), 'a b')
  const refused = ['', 'YQ==', 'YQ=', 'a+b/', 'YR', 'Y', encode(Buffer.from([0xc3])), encode('\ufefftoken'), encode(' token'), encode('token\t'), encode('to\u0000ken'), encode('\u0085')]
  for (const encoded of refused) assert.equal(decodeToken(encoded), null, JSON.stringify(encoded))
})

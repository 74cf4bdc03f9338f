import assert from 'node:assert/strict'
import { test } from 'node:test'
import { BrokerLinks } from '../../src/channels/broker-links.js'
import { LocalAdapter } from '../../src/pubsub/local.js'
import { TokenSet } from '../../src/auth/token-set.js'
import { readEnvironment } from '../../src/config/env.js'

const silent = { warn () {}, info () {}, debug () {}, error () {} } as never

/** The local adapter with each subscribe and unsubscribe held until the test lets it go, and a log of the calls. */
class HeldAdapter extends LocalAdapter {
  readonly calls: string[] = []
  readonly #held: Array<{ resolve: () => void, reject: (err: Error) => void }> = []
  override subscribe (channel: string) { return this.#hold(`+${channel}`) }
  override unsubscribe (channel: string) { return this.#hold(`-${channel}`) }
  #hold (call: string) {
    this.calls.push(call)
    return new Promise<void>((resolve, reject) => this.#held.push({ resolve, reject }))
  }

  /** Settles the oldest held call. */
  next (err?: Error) {
    const held = this.#held.shift()!
    if (err === undefined) held.resolve()
    else held.reject(err)
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve))

test('a subscribe that arrives while the unsubscribe is in flight is queued behind it, and the channel ends subscribed', async () => {
  const adapter = new HeldAdapter()
  const links = new BrokerLinks(adapter, silent, () => {})
  const first = links.hold('c')
  const second = links.hold('c')
  assert.equal(first, second)
  await tick()
  assert.deepEqual(adapter.calls, ['+c'])
  adapter.next()
  await first
  links.release('c')
  links.release('c')
  await tick()
  assert.deepEqual(adapter.calls, ['+c', '-c'])
  const again = links.hold('c')
  await tick()
  // not yet: the unsubscribe is still in flight
  assert.deepEqual(adapter.calls, ['+c', '-c'])
  adapter.next()
  await tick()
  assert.deepEqual(adapter.calls, ['+c', '-c', '+c'])
  adapter.next()
  await again
  assert.deepEqual(links.channels(), ['c'])
})

test('a subscribe the broker refuses rejects every waiter, and the next hold tries again', async () => {
  const adapter = new HeldAdapter()
  const durations: number[] = []
  const links = new BrokerLinks(adapter, silent, (seconds) => durations.push(seconds))
  const waiters = [links.hold('c'), links.hold('c')]
  await tick()
  adapter.next(new Error('refused'))
  for (const waiter of waiters) await assert.rejects(waiter, { message: 'refused' })
  links.release('c')
  links.release('c')
  await tick()
  adapter.next()
  const retry = links.hold('c')
  await tick()
  assert.deepEqual(adapter.calls, ['+c', '-c', '+c'])
  adapter.next()
  await retry
  assert.equal(durations.length, 2)
})

test('named tokens are labelled with their name, bare ones by position; a bad name stops start-up', () => {
  const tokens = TokenSet.parse('alice:tok1, plain ,bob:t:o:k,alice:rotated')
  assert.deepEqual(['tok1', 'plain', 't:o:k', 'rotated', 'alice', 'alice:tok1'].map((token) => tokens.identify(token)),
    ['alice', 'token-1', 'bob', 'alice', undefined, undefined])
  assert.throws(() => readEnvironment({ WS_AUTH_ENABLED: 'true', WS_BEARER_TOKENS: 'ok:a,bad name:b' }), {
    message: 'env/WS_BEARER_TOKENS has a bad entry: token #1 is not "name:token" with a name of 1-64 of [A-Za-z0-9_.@-] and a token'
  })
  assert.throws(() => readEnvironment({ WS_BEARER_TOKENS: 'empty:' }), { message: /^env\/WS_BEARER_TOKENS has a bad entry: token #0/ })
})

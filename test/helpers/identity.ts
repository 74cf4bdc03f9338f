import Type from 'typebox'
import { defineMethod } from '../../src/methods/method.js'
import { fetchMetrics, metricValue } from './server.js'

/** A host method answering the identity the connection authenticated as (`null` without one). */
export const whoami = defineMethod({
  name: 'test.whoami',
  params: Type.Object({}),
  handle (_params, { client }) {
    return { identity: client.identity ?? null }
  }
})

/** `ws_auth_failures_total` by reason, as `/metrics` prints it (undefined for a reason not yet counted). */
export async function authFailures (http: string): Promise<Record<string, number | undefined>> {
  const text = await fetchMetrics(http)
  return Object.fromEntries(['missing', 'invalid', 'expired', 'refused'].map((reason) => [reason, metricValue(text, `ws_auth_failures_total{reason="${reason}"}`)]))
}

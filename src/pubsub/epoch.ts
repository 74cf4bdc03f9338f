import { randomBytes } from 'node:crypto'

/** A fresh epoch: random, so a history recreated anywhere (a flushed Redis, a new stream) never repeats one. */
export function newEpoch (): string {
  return randomBytes(6).toString('base64url')
}

/** Scanners for the few JSON tokens the request fast paths read themselves; each returns an end index or -1. */

export const QUOTE = 0x22
export const CLOSE_BRACE = 0x7d
const BACKSLASH = 0x5c
const MINUS = 0x2d
const DOT = 0x2e
const ZERO = 0x30
const NINE = 0x39
const LOWER_E = 0x65
const UPPER_E = 0x45
const PLUS = 0x2b
/** Up to 15 digits is always a safe integer, so the number read is the one JSON.parse would give. */
const MAX_INTEGER_DIGITS = 15

const isDigit = (code: number) => code >= ZERO && code <= NINE

/** End of an integer with no sign, fraction or leading zero and at most 15 digits. */
export function integerEnd (text: string, start: number): number {
  if (text.charCodeAt(start) === ZERO) return start + 1
  let at = start
  while (isDigit(text.charCodeAt(at))) {
    if (at - start === MAX_INTEGER_DIGITS) return -1
    at++
  }
  return at === start ? -1 : at
}

/** Index of the quote closing a string that starts at `start` (after its opening quote) and has no escape or control character. */
export function plainStringEnd (text: string, start: number): number {
  for (let at = start; at < text.length; at++) {
    const code = text.charCodeAt(at)
    if (code === QUOTE) return at
    if (code === BACKSLASH || code < 0x20) return -1
  }
  return -1
}

/** End of a number in JSON's grammar: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. */
export function numberEnd (text: string, start: number): number {
  let at = start
  if (text.charCodeAt(at) === MINUS) at++
  if (text.charCodeAt(at) === ZERO) {
    at++
  } else {
    const digits = at
    while (isDigit(text.charCodeAt(at))) at++
    if (at === digits) return -1
  }
  if (text.charCodeAt(at) === DOT) {
    const digits = ++at
    while (isDigit(text.charCodeAt(at))) at++
    if (at === digits) return -1
  }
  const e = text.charCodeAt(at)
  if (e === LOWER_E || e === UPPER_E) {
    at++
    const sign = text.charCodeAt(at)
    if (sign === PLUS || sign === MINUS) at++
    const digits = at
    while (isDigit(text.charCodeAt(at))) at++
    if (at === digits) return -1
  }
  return at
}

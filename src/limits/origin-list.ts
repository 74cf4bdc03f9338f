/**
 * `WS_ALLOWED_ORIGINS`: exact origins (`https://app.example.com`), compared case-insensitively without a
 * trailing slash. Empty allows every origin. A request without `Origin` is let through: browsers always
 * send it on a WebSocket upgrade, and any other client could forge it anyway, so only browsers are held back.
 */
export class OriginList {
  readonly #origins: Set<string>

  constructor (origins: readonly string[]) {
    this.#origins = new Set(origins.map(normalize).filter((origin) => origin !== ''))
  }

  static parse (list: string): OriginList {
    return new OriginList(list.split(','))
  }

  get isOpen () {
    return this.#origins.size === 0
  }

  allows (origin: string | undefined): boolean {
    return this.isOpen || origin === undefined || this.#origins.has(normalize(origin))
  }
}

function normalize (origin: string): string {
  return origin.trim().toLowerCase().replace(/\/+$/, '')
}

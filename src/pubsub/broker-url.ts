import type { ConnectionOptions } from 'nats'

/** The URL with its password or token replaced, fit for a log line. */
export function redactUrl (url: string): string {
  return url.split(',').map((one) => {
    try {
      const parsed = new URL(one.trim())
      if (parsed.password) parsed.password = '***'
      else if (parsed.username && parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') parsed.username = '***'
      return parsed.toString()
    } catch {
      return '(unparsable url)'
    }
  }).join(',')
}

/**
 * nats.js takes credentials as options, not from the URL, so they are lifted out here:
 * `nats://user:pass@host` is user and password, `nats://token@host` a token (as in the Go client),
 * and `tls://` asks for TLS. A comma-separated list names the servers of one cluster.
 */
export function natsConnectOptions (url: string): Pick<ConnectionOptions, 'servers' | 'user' | 'pass' | 'token' | 'tls'> {
  const options: Pick<ConnectionOptions, 'servers' | 'user' | 'pass' | 'token' | 'tls'> = {}
  const servers: string[] = []
  for (const one of url.split(',')) {
    const parsed = new URL(one.trim())
    if (parsed.protocol === 'tls:') options.tls = {}
    servers.push(`${parsed.hostname}:${parsed.port || '4222'}`)
    const user = decodeURIComponent(parsed.username)
    const pass = decodeURIComponent(parsed.password)
    if (user && pass && options.user === undefined) {
      options.user = user
      options.pass = pass
    } else if (user && !pass && options.token === undefined) {
      options.token = user
    }
  }
  options.servers = servers
  return options
}

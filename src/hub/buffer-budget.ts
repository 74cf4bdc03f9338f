import { totalmem } from 'node:os'
import { getHeapStatistics } from 'node:v8'
import type { Client } from './client.js'

/**
 * The budget `maxTotalBufferedBytes: 0` stands for: a quarter of the memory this process may use (its cgroup limit
 * when it has one, else the machine's), and at most half of V8's heap limit, because a queued ASCII reply is a
 * V8 string (src/hub/frame.ts) and a heap that fills with them ends the process instead of a client.
 */
export function autoBudgetBytes (): number {
  return Math.floor(Math.min(usableMemoryBytes() / 4, getHeapStatistics().heap_size_limit / 2))
}

/** The memory this process may use: its cgroup (container) limit when there is one below the machine's, else the machine's. */
export function usableMemoryBytes (): number {
  const machine = totalmem()
  const constrained = process.constrainedMemory?.() ?? 0
  return constrained > 0 && constrained < machine ? constrained : machine
}

/** What a client offers the budget: its unsent bytes as last sampled, and whether it can still receive. */
export interface BudgetEntry {
  bufferedBytes: number
  readonly isOpen: boolean
}

/** Which entries to close, largest first, so that the rest hold at most `maxBytes`; `total` is their sum. */
export function chooseLargest<T extends BudgetEntry> (entries: readonly T[], total: number, maxBytes: number): T[] {
  if (total <= maxBytes) return []
  const chosen: T[] = []
  for (const entry of [...entries].sort((a, b) => b.bufferedBytes - a.bufferedBytes)) {
    if (total <= maxBytes) break
    chosen.push(entry)
    total -= entry.bufferedBytes
  }
  return chosen
}

/**
 * Unsent bytes summed over every open client of one instance, against `maxBytes`.
 *
 * A send costs two additions: each client keeps the `bufferedAmount` it had after its last send, and the total moves
 * by the difference. Samples only go stale downwards (a client drains with no send to report it), so the total can
 * only overstate. When it passes the budget, one pass reads every client's real `bufferedAmount` and closes the
 * largest until the rest fit. A pass that finds the budget was not exceeded after all arms the next one 1/64 of the
 * budget higher, so a server that sits at its budget does not walk its clients on every send.
 *
 * A client closed with 4008 keeps its backlog for a grace period, so a slow reader still learns why; those
 * backlogs together may hold a quarter of the budget more, past which the oldest are destroyed at once.
 */
export class BufferBudget {
  readonly maxBytes: number
  /** The sum of the open clients' samples: at least what they really hold, give or take what drained unseen. */
  total = 0
  /** Backlogs of clients closed with 4008 and not yet gone, oldest first. */
  readonly #closing = new Map<Client, number>()
  #closingTotal = 0
  readonly #clients: () => Iterable<Client>
  readonly #slack: number
  #checkAbove: number

  constructor (maxBytes: number, clients: () => Iterable<Client>) {
    this.maxBytes = maxBytes
    this.#clients = clients
    this.#slack = Math.max(64 * 1024, Math.floor(maxBytes / 64))
    this.#checkAbove = maxBytes
  }

  /** Called after each send with the client's `bufferedAmount` now. */
  account (client: Client, amount: number) {
    this.total += amount - client.bufferedBytes
    client.bufferedBytes = amount
    if (this.total > this.#checkAbove) this.#enforce()
  }

  /** A client closed for its backlog: the bytes can no longer grow, and are held until it is gone or destroyed. */
  closing (client: Client) {
    const held = client.socket.bufferedAmount
    this.forget(client)
    this.#closing.set(client, held)
    this.#closingTotal += held
    for (const [oldest, bytes] of this.#closing) {
      if (this.#closingTotal <= this.maxBytes / 4) break
      this.#closing.delete(oldest)
      this.#closingTotal -= bytes
      oldest.socket.terminate()
    }
  }

  /** A client that is gone, or closing: it no longer counts as open. */
  forget (client: Client) {
    this.total -= client.bufferedBytes
    client.bufferedBytes = 0
    const held = this.#closing.get(client)
    if (held !== undefined) {
      this.#closing.delete(client)
      this.#closingTotal -= held
    }
  }

  #enforce () {
    const entries: Client[] = []
    let total = 0
    for (const client of this.#clients()) {
      if (!client.isOpen) continue
      client.bufferedBytes = client.socket.bufferedAmount
      total += client.bufferedBytes
      if (client.bufferedBytes > 0) entries.push(client)
    }
    this.total = total
    for (const client of chooseLargest(entries, total, this.maxBytes)) client.dropOverBudget()
    this.#checkAbove = Math.max(this.maxBytes, this.total + this.#slack)
  }
}

import { createInbox, ErrorCode, type Msg, type NatsConnection, type Subscription } from 'nats'
import { BrokerUnavailableError } from './broker-unavailable.js'
import type { LocalMembers } from './local-members.js'

export type Question = { kind: 'members' | 'count', channel: string } | { kind: 'channels' }

export interface NatsRollCallOptions {
  subject: string
  /** This process's presence owner name: a NATS subject token ([A-Za-z0-9_-]). */
  owner: string
  leaseMs: number
  /** How long a read waits for each other instance's answer. */
  answerTimeoutMs: number
  local: LocalMembers
  /** Whether the adapter holds a confirmed connection: without one, no answer could be complete. */
  isLinked: () => boolean
}

interface Call { owner: string, hello?: true, bye?: true }

// the status a NATS server sends to a request's reply inbox when no subscription matched its subject
const NO_RESPONDERS = 503

/**
 * Presence on plain NATS (no JetStream): each instance keeps its members to itself, and a read asks every other
 * live instance for its own, one request each on `<subject>.presence.ask.<owner>`.
 *
 * Who to ask comes from hellos on `<subject>.presence.hello`: each instance subscribes to them before it says its
 * own, says it when it connects, again three times per lease and after each reconnect, and answers the first hello
 * it hears from each instance with one of its own, so two instances that start at once learn of each other. A starting
 * instance also asks on `<subject>.presence.roll` who is there (every instance answers with the ones it knows), and
 * reads wait for those answers. It says goodbye on a clean close; one not heard from for a lease is forgotten. A
 * member joins only after a flush that follows the hello on the same connection, and a read begins with a flush of
 * its own, so a reader has taken in every hello the server routed before it began.
 *
 * A read never leaves out an instance silently: one that does not answer in time fails the read (-32001 above us),
 * and only NATS itself may say an instance is gone. It does so at once when a process dies (its socket closes, its
 * subscription with it, and the request gets "no responders"), so a crashed instance's members drop out on the next
 * read, sooner than with the KV buckets. The limits: a host that vanished without closing its socket fails reads
 * for up to a lease (until it is forgotten), and an instance between two connections (NATS restarting) is counted
 * out until its next hello, as its clients receive nothing meanwhile either.
 */
export class NatsRollCall {
  readonly #options: NatsRollCallOptions
  /** When each other instance was last heard from. */
  readonly #peers = new Map<string, number>()
  /** The instances whose first hello we answered with ours. */
  readonly #greetedBack = new Set<string>()
  #connection: NatsConnection | undefined
  #subscriptions: Subscription[] = []
  /** The first hello's answers are in: reads wait for it, or they would miss the instances already there. */
  #greeted: Promise<void> = Promise.resolve()
  #timer: NodeJS.Timeout | undefined

  constructor (options: NatsRollCallOptions) {
    this.#options = options
  }

  get #helloSubject () {
    return `${this.#options.subject}.presence.hello`
  }

  /** Where a starting instance asks who is there (a request, answered with each one's list). */
  get #rollSubject () {
    return `${this.#options.subject}.presence.roll`
  }

  #askSubject (owner: string) {
    return `${this.#options.subject}.presence.ask.${owner}`
  }

  /** Answers questions on `connection` and says hello; on a fresh connection only (nats.js resubscribes by itself). */
  attach (connection: NatsConnection) {
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe()
    this.#connection = connection
    // the ask subscription goes first: an instance that hears our hello may ask us at once
    this.#subscriptions.push(connection.subscribe(this.#askSubject(this.#options.owner), { callback: (err, msg) => { if (err === null) this.#answer(msg) } }))
    // hellos are heard before ours goes out: of two instances starting at once, one hears the other's, and answers it
    this.#subscriptions.push(connection.subscribe(this.#helloSubject, { callback: (err, msg) => { if (err === null) this.#heard(msg) } }))
    this.#greeted = this.#greet(connection)
    this.beat()
    // after the roll call went out, or our own subscription would take it and no one would ever say "no responders"
    this.#subscriptions.push(connection.subscribe(this.#rollSubject, { callback: (err, msg) => { if (err === null) this.#heard(msg) } }))
    this.#timer ??= setInterval(() => this.beat(), Math.max(100, Math.floor(this.#options.leaseMs / 3))).unref()
  }

  /** Says this instance is there; after a reconnect, so those who counted it out while it was away count it in. */
  beat () {
    const connection = this.#connection
    if (connection === undefined || connection.isClosed()) return
    connection.publish(this.#helloSubject, JSON.stringify({ owner: this.#options.owner } satisfies Call))
  }

  /**
   * Hello as a request: each instance there answers with itself and the instances it knows. Done once every instance
   * named so far answered, at once when NATS says no one is there, and after the answer timeout at the latest.
   */
  async #greet (connection: NatsConnection): Promise<void> {
    const { owner, answerTimeoutMs } = this.#options
    const answered = new Set<string>()
    let done: () => void = () => {}
    const greeted = new Promise<void>((resolve) => { done = resolve })
    const inbox = connection.subscribe(createInbox(), {
      callback: (err, msg) => {
        if (err !== null || msg.headers?.code === NO_RESPONDERS) return done()
        const answer = parse<{ owner: string, peers: string[] }>(msg)
        if (typeof answer?.owner !== 'string' || !Array.isArray(answer.peers)) return
        answered.add(answer.owner)
        for (const peer of [answer.owner, ...answer.peers]) if (peer !== owner) this.#peers.set(peer, Date.now())
        if ([...this.#peers.keys()].every((peer) => answered.has(peer))) done()
      }
    })
    connection.publish(this.#rollSubject, JSON.stringify({ owner, hello: true } satisfies Call), { reply: inbox.getSubject() })
    const timer = setTimeout(done, answerTimeoutMs)
    await greeted
    clearTimeout(timer)
    inbox.unsubscribe()
  }

  #heard (msg: Msg) {
    const call = parse<Call>(msg)
    if (typeof call?.owner !== 'string' || call.owner === this.#options.owner) return
    if (call.bye === true) {
      this.#peers.delete(call.owner)
      this.#greetedBack.delete(call.owner)
      return
    }
    this.#peers.set(call.owner, Date.now())
    if (msg.reply !== undefined && msg.reply !== '') {
      msg.respond(JSON.stringify({ owner: this.#options.owner, peers: this.#live() }))
    } else if (!this.#greetedBack.has(call.owner)) {
      // the first hello heard from an instance gets ours: it may have started as we did and never heard of us
      // (knowing of it from a third one's list says nothing of whether it knows of us)
      this.#greetedBack.add(call.owner)
      this.beat()
    }
  }

  #answer (msg: Msg) {
    const question = parse<Question>(msg)
    const local = this.#options.local
    if (question?.kind === 'channels') return msg.respond(JSON.stringify(local.channels()))
    if (typeof (question as { channel?: unknown } | undefined)?.channel !== 'string') return
    const { kind, channel } = question as { kind: string, channel: string }
    if (kind === 'members') msg.respond(JSON.stringify(local.members(channel)))
    else if (kind === 'count') msg.respond(JSON.stringify(local.count(channel)))
  }

  /** The other instances heard from within a lease. */
  #live (): string[] {
    const since = Date.now() - this.#options.leaseMs
    for (const [peer, heard] of this.#peers) if (heard <= since) this.#peers.delete(peer)
    return [...this.#peers.keys()]
  }

  /**
   * Every other live instance's answer to `question` (this one's own members are the caller's to add). Rejects
   * rather than leave one out: `nats broker unavailable` without a connection, and names the instance that did not
   * answer in time. An instance NATS says has no subscription any more is gone, and left out.
   */
  async ask<T> (question: Question): Promise<T[]> {
    await this.#greeted
    const connection = this.#connection
    if (connection === undefined || connection.isClosed() || !this.#options.isLinked()) throw new BrokerUnavailableError('nats')
    const { answerTimeoutMs } = this.#options
    // a hello the server routed to us before this read began is taken in first: the PONG comes after it on our
    // socket, so an instance whose member was already answered as joined is one we know (the callbacks run in order)
    await withTimeout(connection.flush(), answerTimeoutMs).catch((err) => { throw new BrokerUnavailableError('nats', err) })
    const data = JSON.stringify(question)
    const answers = await Promise.all(this.#live().map(async (peer) => {
      try {
        return (await connection.request(this.#askSubject(peer), data, { timeout: answerTimeoutMs })).json<T>()
      } catch (err) {
        const code = (err as { code?: string }).code
        if (code === ErrorCode.NoResponders) {
          this.#peers.delete(peer)
          return undefined
        }
        if (code === ErrorCode.Timeout) throw new Error(`nats presence incomplete: instance ${peer} did not answer within ${answerTimeoutMs} ms`, { cause: err })
        throw new BrokerUnavailableError('nats', err)
      }
    }))
    return answers.filter((answer) => answer !== undefined)
  }

  /** Says goodbye, so the others stop asking at once rather than when NATS notices the closed socket. */
  async close () {
    clearInterval(this.#timer)
    const connection = this.#connection
    for (const subscription of this.#subscriptions.splice(0)) subscription.unsubscribe()
    if (connection === undefined || connection.isClosed() || !this.#options.isLinked()) return
    connection.publish(this.#helloSubject, JSON.stringify({ owner: this.#options.owner, bye: true } satisfies Call))
    await connection.flush().catch(() => {})
  }
}

function parse<T> (msg: Msg): T | undefined {
  try {
    return msg.json<T>()
  } catch {
    return undefined
  }
}

function withTimeout<T> (work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_resolve, reject) => { timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms) })
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer))
}

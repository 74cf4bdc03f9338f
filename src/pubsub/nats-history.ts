import { randomBytes } from 'node:crypto'
import { setTimeout } from 'node:timers/promises'
import {
  AckPolicy, ConsumerEvents, DeliverPolicy, DiscardPolicy, Empty, headers, nanos, RetentionPolicy, StorageType,
  type ConsumerMessages, type JetStreamClient, type JetStreamManager, type JsMsg, type LastForMsgRequest, type MsgHdrs,
  type NatsConnection, type SeqMsgRequest, type StoredMsg, type StreamConfig, type StreamInfo
} from 'nats'
import type { Logger } from '../logger.js'
import type { Envelope } from './envelope.js'
import { newEpoch } from './epoch.js'
import type { HistoryPage, HistoryPolicy, HistoryQuery, HistoryStore, StoredPublication } from './history-store.js'
import { channelSubject } from './nats-channels.js'
import { EPOCH_PATTERN, type Position } from './position.js'

export interface NatsHistoryOptions {
  /** The deployment's subject: the stream is named after it and holds `<subject>.hist.>`. */
  subject: string
  /** `historySize`: the stream's per-subject limit, the most any channel keeps. */
  size: number
  /** `historyTtlMs`: the stream's `max_age`, the age at which any kept message goes. */
  ttlMs: number
  /** Each JetStream request (publish, get, consumer create) fails after this long. */
  timeoutMs: number
  log: Logger
  /** The broker's redacted URL, for the start-up error. */
  url: string
  /** False while the adapter is down: append and read then refuse at once, as a publish does. */
  isUp: () => boolean
  /** The envelope's wire bytes (signed when the deployment signs): what is kept and what is delivered. */
  encode: (envelope: Envelope) => Buffer
  /** A kept message back to its payload, checked like anything read off the broker; undefined when it does not pass. */
  decode: (data: Buffer) => Buffer | undefined
  /** A kept message for this instance's subscribers, with the position its headers carry (undefined: unreadable). */
  receive: (data: Buffer, position: Position | undefined, channel: string) => void
}

/** Thrown by `attach` when the server answers no JetStream API: history cannot be kept there. */
export class JetStreamMissingError extends Error {
  constructor (url: string) {
    super(`channel history on nats needs JetStream, and the NATS server at ${url} does not have it enabled: start nats-server with -js (and a store dir, -sd), or set WS_HISTORY_SIZE=0`)
    this.name = 'JetStreamMissingError'
  }
}

/** The newest message of a channel's subject, as far as this instance knows. */
interface Last extends Position {
  seq: number
}

const OFFSET_HEADER = 'Hub-Offset'
const EPOCH_HEADER = 'Hub-Epoch'
// JetStream's error codes (nats-server's errors.json)
const WRONG_LAST_SEQUENCE = 10071
const STREAM_NAME_IN_USE = 10058
const NO_MESSAGE_FOUND = 10037
/**
 * Appends of one channel from one instance run one after the other, so a lost try lost to another instance. Tries go
 * on until the publish timeout: a count alone ran out on a loaded machine, where the instance that just won needs one
 * round trip for its next append and the loser two. After the second loss a short random pause breaks the lockstep.
 */
const MAX_APPEND_PAUSE_MS = 20
/** A read scans up to this many messages it does not need before it looks for its first one by bisection instead. */
const SCAN_SLACK = 128
/** Cached last positions; channel names come from clients, so the cache is bounded. */
const MAX_CACHED = 10_000

/**
 * Channel history on JetStream: one stream, `WSHUB_<subject>_HISTORY`, over `<subject>.hist.>`, file storage,
 * `max_msgs_per_subject` = `historySize` (the ceiling: a host's rule may keep fewer, applied when reading),
 * `max_age` = `historyTtlMs` (per message, stream-wide), discard old. A channel is the subject `<subject>.hist.c.<name>`
 * (`.hist.x.<base64url>` for a name that is not a valid subject, as in nats-channels.ts).
 *
 * Offsets: each message carries its offset and epoch in headers (`Hub-Offset`, `Hub-Epoch`) and the encoded,
 * signed envelope as its data. An append publishes offset+1 of the subject's newest message with
 * `Nats-Expected-Last-Subject-Sequence` set to that message's stream sequence: the stream refuses it when another
 * instance got there first, and the append reads the newest again and retries. So offsets go 1, 2, 3… per channel,
 * whichever instance publishes. A subject with no message (never used, all expired, the stream recreated) starts a
 * new random epoch at offset 1, expecting sequence 0. `read` on such a subject writes an epoch marker (offset 0, no
 * data, same check), so the epoch it hands out is the one the next publish continues; markers are skipped elsewhere.
 * One instance's appends to a channel run one after the other (its publishers keep their order, and they do not
 * race each other), and the channel's newest position is cached, fed by its own acks and by the live consumer.
 *
 * Live delivery: each instance runs one ordered consumer over `<subject>.hist.>` from where it stood, and hands each
 * message to the inbox with its position. A core subscription would also see publishes the stream refused; the
 * consumer sees only what was stored, in stream order, so each channel's messages come in offset order. Every
 * instance therefore receives every history channel's messages (the hub delivers to local subscribers only).
 * After a reconnect the consumer resumes after the last sequence it delivered; a stream found recreated (another
 * `created`) starts over at its end, with the cached positions dropped.
 *
 * Reads: the subject's newest message (a message get, `last_by_subj`), its oldest (`next_by_subj` from 1), then the
 * wanted offsets, which are contiguous in the subject: from the oldest when fewer than `SCAN_SLACK` would be
 * skipped, else from the stream sequence of the first wanted offset, found by bisection with message gets (at most
 * log2 of the sequence span between the two). One short-lived consumer on the subject then fetches them in one pull.
 * A read costs 4 round trips plus the bisection, whether it returns 10 messages or 1000.
 */
export class NatsHistory implements HistoryStore {
  readonly #options: NatsHistoryOptions
  readonly #stream: string
  readonly #filter: string
  readonly #last = new Map<string, Last>()
  /** Each channel's appends in call order. */
  readonly #turns = new Map<string, Promise<unknown>>()
  #js: JetStreamClient | undefined
  #jsm: JetStreamManager | undefined
  #connection: NatsConnection | undefined
  /** The stream's `created` when last attached: another one means it was recreated and its history lost. */
  #created: string | undefined
  #live: ConsumerMessages | undefined
  /** The live consumer's generation: messages of a replaced one are ignored. */
  #generation = 0
  /** The stream sequence of the last message the live consumer took. */
  #delivered = 0
  #attaching: Promise<void> | undefined
  #closing = false

  constructor (options: NatsHistoryOptions) {
    this.#options = options
    this.#stream = `WSHUB_${options.subject.replace(/[^A-Za-z0-9_-]/g, '_')}_HISTORY`
    this.#filter = `${options.subject}.hist.>`
  }

  get stream (): string {
    return this.#stream
  }

  subjectOf (channel: string): string {
    return channelSubject(channel, `${this.#options.subject}.hist.c`, `${this.#options.subject}.hist.x`)
  }

  /**
   * Creates or updates the stream and (re)starts the live consumer on `connection`: at connect and after each
   * reconnect, before the adapter reports itself up. Rejects with `JetStreamMissingError` when the server has no
   * JetStream.
   */
  attach (connection: NatsConnection): Promise<void> {
    const attaching = this.#attach(connection)
    this.#attaching = attaching.catch(() => {})
    return attaching
  }

  async #attach (connection: NatsConnection) {
    const timeout = this.#options.timeoutMs
    let jsm: JetStreamManager
    try {
      jsm = await connection.jetstreamManager({ timeout })
    } catch (err) {
      // no responder on $JS.API: the server runs without JetStream
      if ((err as { code?: unknown }).code === '503') throw new JetStreamMissingError(this.#options.url)
      throw err
    }
    const info = await this.#ensureStream(jsm)
    const js = connection.jetstream({ timeout })
    const recreated = this.#created !== info.created
    if (recreated) {
      if (this.#created !== undefined) this.#options.log.warn({ stream: this.#stream }, 'NATS history stream was recreated: channels start new epochs')
      this.#last.clear()
      this.#delivered = info.state.last_seq
    }
    this.#created = info.created
    this.#connection = connection
    this.#jsm = jsm
    this.#js = js
    await this.#follow(js)
  }

  async #ensureStream (jsm: JetStreamManager): Promise<StreamInfo> {
    const { size, ttlMs } = this.#options
    const config: Partial<StreamConfig> & { name: string } = {
      name: this.#stream,
      subjects: [this.#filter],
      storage: StorageType.File,
      retention: RetentionPolicy.Limits,
      discard: DiscardPolicy.Old,
      max_msgs_per_subject: size,
      max_age: nanos(ttlMs),
      // the server refuses a duplicate window longer than max_age; no message id is sent anyway
      duplicate_window: nanos(Math.min(ttlMs, 120_000)),
      num_replicas: 1
    }
    try {
      return await jsm.streams.add(config)
    } catch (err) {
      // there with other limits (a changed WS_HISTORY_SIZE): the instance starting last sets them
      if (apiCode(err) !== STREAM_NAME_IN_USE) throw err
      const { name, ...update } = config
      return await jsm.streams.update(name, update)
    }
  }

  /** Starts the live consumer after the last delivered sequence, replacing the one before. */
  async #follow (js: JetStreamClient) {
    this.#live?.stop()
    const generation = ++this.#generation
    const consumer = await js.consumers.get(this.#stream, {
      filterSubjects: this.#filter,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: this.#delivered + 1
    })
    const messages = await consumer.consume({ max_messages: 1000, expires: 5_000 })
    if (generation !== this.#generation || this.#closing) {
      messages.stop()
      return
    }
    this.#live = messages
    ;(async () => {
      for await (const msg of messages) {
        if (generation !== this.#generation) return
        this.#take(msg)
      }
    })().catch((err) => this.#options.log.error({ err, stream: this.#stream }, 'NATS history consumer failed'))
    ;(async () => {
      for await (const status of await messages.status()) {
        // the stream was deleted under us (nats.js reports it after two missed heartbeats, and would retry the old
        // one forever): recreate it, a new epoch for every channel, and follow it
        if (status.type === ConsumerEvents.StreamNotFound && generation === this.#generation && !this.#closing) {
          this.#reattach()
          return
        }
      }
    })().catch(() => {})
  }

  #reattach () {
    const connection = this.#connection
    if (connection === undefined || connection.isClosed()) return
    this.attach(connection).catch((err) => this.#options.log.error({ err, stream: this.#stream }, 'NATS history stream could not be recreated'))
  }

  #take (msg: JsMsg) {
    // the ordered consumer delivers each sequence once and in order; this also holds across our own restarts of it
    if (msg.seq <= this.#delivered) return
    this.#delivered = msg.seq
    const channel = this.#channelOf(msg.subject)
    if (channel === undefined) return
    const position = readPosition(msg.headers)
    if (position !== undefined) this.#remember(channel, { ...position, seq: msg.seq })
    if (position?.offset === 0) return
    this.#options.receive(Buffer.from(msg.data.buffer, msg.data.byteOffset, msg.data.byteLength), position, channel)
  }

  #channelOf (subject: string): string | undefined {
    const plain = `${this.#options.subject}.hist.c.`
    const encoded = `${this.#options.subject}.hist.x.`
    if (subject.startsWith(plain)) return subject.slice(plain.length)
    if (subject.startsWith(encoded)) return Buffer.from(subject.slice(encoded.length), 'base64url').toString()
    return undefined
  }

  /** Keeps the newer of what is cached and `last`: the live consumer may lag behind this instance's own acks. */
  #remember (channel: string, last: Last) {
    const cached = this.#last.get(channel)
    if (cached !== undefined && cached.seq >= last.seq) return
    if (cached === undefined && this.#last.size >= MAX_CACHED) this.#last.clear()
    this.#last.set(channel, last)
  }

  async append (channel: string, _policy: HistoryPolicy, envelope: Envelope): Promise<Position> {
    // refused at once while down, not queued behind the channel's other appends
    this.#ready()
    const data = this.#options.encode(envelope)
    return this.#inTurn(channel, () => this.#append(channel, data))
  }

  async #append (channel: string, data: Buffer): Promise<Position> {
    const subject = this.subjectOf(channel)
    const started = performance.now()
    let tries = 0
    for (;;) {
      const { js } = this.#ready()
      const last = this.#last.get(channel) ?? await this.#newest(subject)
      const position = last === undefined ? { offset: 1, epoch: newEpoch() } : { offset: last.offset + 1, epoch: last.epoch }
      try {
        const ack = await js.publish(subject, data, {
          headers: positionHeaders(position),
          expect: { lastSubjectSequence: last?.seq ?? 0 },
          timeout: this.#options.timeoutMs
        })
        this.#remember(channel, { ...position, seq: ack.seq })
        return position
      } catch (err) {
        if (apiCode(err) !== WRONG_LAST_SEQUENCE) throw err
        // another instance appended (or the subject expired): read the newest again
        this.#last.delete(channel)
      }
      tries++
      const elapsed = performance.now() - started
      if (elapsed >= this.#options.timeoutMs) {
        throw new Error(`lost the race for the next offset of channel ${channel} ${tries} times in ${Math.round(elapsed)} ms`)
      }
      if (tries >= 2) await setTimeout(Math.random() * Math.min(2 ** tries, MAX_APPEND_PAUSE_MS))
    }
  }

  async read (channel: string, policy: HistoryPolicy, query: HistoryQuery): Promise<HistoryPage> {
    const subject = this.subjectOf(channel)
    let newest = await this.#newestMessage(subject)
    if (newest === undefined) {
      const epoch = await this.#inTurn(channel, () => this.#mark(channel, subject))
      if (epoch !== undefined) return { epoch, offset: 0, first: 1, publications: [] }
      // someone appended first: read what is there now
      newest = await this.#newestMessage(subject)
      if (newest === undefined) throw new Error(`channel ${channel} has neither messages nor an epoch marker`)
    }
    const { position: last, msg: lastMsg } = newest
    if (last.offset === 0) return { epoch: last.epoch, offset: 0, first: 1, publications: [] }
    const oldestMsg = await this.#get({ seq: 1, next_by_subj: subject })
    const oldest = oldestMsg === undefined ? undefined : readPosition(oldestMsg.header)
    if (oldestMsg === undefined || oldest === undefined) return { epoch: last.epoch, offset: last.offset, first: last.offset + 1, publications: [] }
    // a host's rule may keep fewer than the stream does: the newest `policy.size` are what the channel keeps
    const first = Math.max(1, oldest.offset, last.offset - policy.size + 1)
    const after = query.since?.epoch === last.epoch ? query.since.offset : 0
    let from = Math.max(first, after + 1)
    let to = last.offset
    if (query.reverse) from = Math.max(from, to - query.limit + 1)
    else to = Math.min(to, from + query.limit - 1)
    let publications: StoredPublication[] = []
    if (from <= to) {
      publications = from === to && to === last.offset
        ? this.#kept(last.offset, lastMsg.data)
        : await this.#range(subject, from, to, { seq: oldestMsg.seq, offset: oldest.offset }, { seq: lastMsg.seq, offset: last.offset })
    }
    if (query.reverse) publications.reverse()
    return { epoch: last.epoch, offset: last.offset, first, publications }
  }

  /** A subject without messages gets an epoch marker; undefined when someone else wrote first. */
  async #mark (channel: string, subject: string): Promise<string | undefined> {
    const { js } = this.#ready()
    const position = { offset: 0, epoch: newEpoch() }
    try {
      const ack = await js.publish(subject, Empty, { headers: positionHeaders(position), expect: { lastSubjectSequence: 0 }, timeout: this.#options.timeoutMs })
      this.#remember(channel, { ...position, seq: ack.seq })
      return position.epoch
    } catch (err) {
      if (apiCode(err) === WRONG_LAST_SEQUENCE) return undefined
      throw err
    }
  }

  /** The kept messages with offsets `from`..`to`, oldest first; `oldest` and `newest` bound the subject. */
  async #range (subject: string, from: number, to: number, oldest: Last | { seq: number, offset: number }, newest: { seq: number, offset: number }): Promise<StoredPublication[]> {
    const { js, jsm } = this.#ready()
    let start = oldest
    if (from - oldest.offset > SCAN_SLACK) start = await this.#seek(subject, from, oldest, newest)
    const name = `hist_${randomBytes(8).toString('hex')}`
    const info = await jsm.consumers.add(this.#stream, {
      name,
      filter_subject: subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: start.seq,
      ack_policy: AckPolicy.None,
      mem_storage: true,
      num_replicas: 1,
      // deleted below; this only bounds a consumer whose delete was lost
      inactive_threshold: nanos(30_000)
    })
    const consumer = js.consumers.getPullConsumerFor(info)
    const publications: StoredPublication[] = []
    try {
      const batch = await consumer.fetch({ max_messages: to - start.offset + 1, expires: Math.max(1_000, this.#options.timeoutMs) })
      for await (const msg of batch) {
        const position = readPosition(msg.headers)
        if (position === undefined || position.offset < from) continue
        publications.push(...this.#kept(position.offset, msg.data))
        if (position.offset >= to) break
      }
    } finally {
      jsm.consumers.delete(this.#stream, name).catch(() => {})
    }
    return publications
  }

  /**
   * The stream sequence of offset `target`, between `low` (an offset below it) and `high` (one at or above it):
   * the subject's offsets are contiguous, so the first message at or above `target` holds it.
   */
  async #seek (subject: string, target: number, low: { seq: number, offset: number }, high: { seq: number, offset: number }): Promise<{ seq: number, offset: number }> {
    while (high.seq - low.seq > 1 && high.offset > target) {
      const msg = await this.#get({ seq: Math.floor((low.seq + high.seq) / 2), next_by_subj: subject })
      const position = msg === undefined ? undefined : readPosition(msg.header)
      // trimmed meanwhile: scanning from the low end still finds it
      if (msg === undefined || position === undefined) return low
      const probe = { seq: msg.seq, offset: position.offset }
      if (probe.offset >= target) high = probe
      else low = probe
    }
    return high.offset === target ? high : low
  }

  #kept (offset: number, data: Uint8Array): StoredPublication[] {
    // a kept message that does not verify (written by someone else) is left out: the gap it leaves is seen by the reader
    const payload = this.#options.decode(Buffer.from(data.buffer, data.byteOffset, data.byteLength))
    return payload === undefined ? [] : [{ offset, payload }]
  }

  async #newest (subject: string): Promise<Last | undefined> {
    const newest = await this.#newestMessage(subject)
    return newest === undefined ? undefined : { ...newest.position, seq: newest.msg.seq }
  }

  async #newestMessage (subject: string): Promise<{ position: Position, msg: StoredMsg } | undefined> {
    const msg = await this.#get({ last_by_subj: subject })
    if (msg === undefined) return undefined
    const position = readPosition(msg.header)
    if (position === undefined) throw new Error(`the newest message of ${subject} carries no position`)
    return { position, msg }
  }

  /**
   * One message by `$JS.API.STREAM.MSG.GET`; undefined when there is no such message. nats.js types the request
   * without `next_by_subj` (the server has it since 2.9) and sends the object as it is.
   */
  async #get (query: LastForMsgRequest | (SeqMsgRequest & { next_by_subj: string })): Promise<StoredMsg | undefined> {
    const { jsm } = this.#ready()
    try {
      return await jsm.streams.getMessage(this.#stream, query)
    } catch (err) {
      if (apiCode(err) === NO_MESSAGE_FOUND) return undefined
      throw err
    }
  }

  #ready (): { js: JetStreamClient, jsm: JetStreamManager } {
    const js = this.#js
    const jsm = this.#jsm
    if (!this.#options.isUp() || js === undefined || jsm === undefined) throw new Error('nats broker unavailable')
    return { js, jsm }
  }

  /** Runs `work` after the channel's previous call settled. */
  #inTurn<T> (channel: string, work: () => Promise<T>): Promise<T> {
    const result = (this.#turns.get(channel) ?? Promise.resolve()).then(work)
    const turn = result.catch(() => {})
    this.#turns.set(channel, turn)
    turn.then(() => { if (this.#turns.get(channel) === turn) this.#turns.delete(channel) }).catch(() => {})
    return result
  }

  async close () {
    this.#closing = true
    this.#generation++
    await this.#attaching
    this.#live?.stop()
    this.#live = undefined
  }
}

function positionHeaders (position: Position): MsgHdrs {
  const h = headers()
  h.set(OFFSET_HEADER, String(position.offset))
  h.set(EPOCH_HEADER, position.epoch)
  return h
}

/** The position a kept message carries; offset 0 is an epoch marker. Undefined when the headers do not hold one. */
function readPosition (h: MsgHdrs | undefined): Position | undefined {
  const text = h?.get(OFFSET_HEADER) ?? ''
  const offset = Number(text)
  const epoch = h?.get(EPOCH_HEADER) ?? ''
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(offset) || !EPOCH_PATTERN.test(epoch)) return undefined
  return { offset, epoch }
}

function apiCode (err: unknown): number | undefined {
  return (err as { api_error?: { err_code?: number } }).api_error?.err_code
}

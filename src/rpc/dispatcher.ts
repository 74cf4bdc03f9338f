import fastJson from 'fast-json-stringify'
import type { TSchema } from 'typebox'
import { Compile, type Validator } from 'typebox/compile'
import type { DurationSeries } from '../duration-histogram.js'
import type { Client } from '../hub/client.js'
import type { Logger } from '../logger.js'
import { UNKNOWN_METHOD, type WsMetrics } from '../metrics.js'
import { capStrings } from '../limits/string-cap.js'
import { AfterReply, type PendingAnswer } from './after-reply.js'
import { readRequest, type RpcRequest } from './request.js'
import { errorResponse, resultResponse, type ResultSerializer } from './response.js'
import { internalError, invalidParams, invalidRequest, methodNotFound, parseError, RpcError } from './rpc-error.js'

/**
 * What the dispatcher runs: the hub's `Method` (src/methods/method.ts), its handler given `C` besides its params.
 * Generic, so that the RPC layer knows nothing of what a handler may touch (channels, the adapter).
 */
export interface RpcMethod<C> {
  name: string
  params: TSchema
  result?: TSchema
  handle (params: unknown, ctx: C): unknown
}

interface Route<C> {
  method: RpcMethod<C>
  validator: Validator<Record<PropertyKey, TSchema>, TSchema>
  serialize: ResultSerializer
  duration: DurationSeries
}

export interface DispatcherOptions<C> {
  methods: readonly RpcMethod<C>[]
  /** What a handler gets besides its params, for the client that sent the request. */
  context: (client: Client) => C
  metrics: WsMetrics
  log: Logger
  /** Requests per batch; a longer batch is answered with one -32600. Default: unbounded. */
  maxBatchLength?: number
  /** `maxLength` given to every string param whose schema sets none (WS_MAX_TEXT_LENGTH). Default: unbounded. */
  maxStringLength?: number
}

type Reply = string | undefined
/** What one request gives: its answer, and possibly work to run once that answer is sent. */
type Answer = Reply | PendingAnswer

const MAX_PARAM_ERRORS = 5

const secondsSince = (started: number) => (performance.now() - started) / 1000

/** Parses a text frame, runs the methods it names and builds the JSON-RPC 2.0 answer. */
export class Dispatcher<C = unknown> {
  readonly #routes = new Map<string, Route<C>>()
  readonly #context: (client: Client) => C
  readonly #metrics: WsMetrics
  readonly #log: Logger
  readonly #unknownDuration: DurationSeries
  readonly #maxBatchLength: number
  readonly #maxStringLength: number

  constructor (options: DispatcherOptions<C>) {
    this.#maxBatchLength = options.maxBatchLength ?? Infinity
    this.#maxStringLength = options.maxStringLength ?? Infinity
    this.#context = options.context
    this.#metrics = options.metrics
    this.#log = options.log
    this.#unknownDuration = options.metrics.rpcDuration.labels(UNKNOWN_METHOD)
    for (const method of options.methods) this.register(method)
  }

  register (method: RpcMethod<C>) {
    if (this.#routes.has(method.name)) throw new Error(`JSON-RPC method "${method.name}" is registered twice`)
    this.#routes.set(method.name, {
      method,
      validator: Compile(Number.isFinite(this.#maxStringLength) ? capStrings(method.params, this.#maxStringLength) : method.params),
      serialize: method.result === undefined ? JSON.stringify : fastJson(method.result),
      duration: this.#metrics.rpcDuration.labels(method.name)
    })
  }

  /** Answers the frame on the client's socket; never throws. Returns the answer still being worked out, if any. */
  handleFrame (text: string, client: Client): Promise<void> | undefined {
    const reply = this.#answer(text, client)
    if (typeof reply === 'string') {
      this.#send(client, reply)
    } else if (reply instanceof Promise) {
      return reply.then((out) => this.#deliver(client, out))
    } else if (reply !== undefined) {
      this.#deliver(client, reply)
    }
    return undefined
  }

  #deliver (client: Client, answer: Answer) {
    if (typeof answer === 'string') return this.#send(client, answer)
    if (answer === undefined) return
    this.#send(client, answer.text)
    answer.after()
  }

  /** The answer to one text frame: a response, a batch array, or nothing (notifications only). */
  process (text: string, client: Client): Reply | Promise<Reply> {
    const answer = this.#answer(text, client)
    if (answer instanceof Promise) return answer.then(settleNow)
    return settleNow(answer)
  }

  #answer (text: string, client: Client): Answer | Promise<Answer> {
    let message: unknown
    try {
      message = JSON.parse(text)
    } catch {
      return this.#error(null, parseError())
    }
    if (!Array.isArray(message)) return this.#call(message, client)
    // JSON-RPC 2.0 §6: an empty array is an invalid request, not an empty batch
    if (message.length === 0) return this.#error(null, invalidRequest())
    // one answer for the whole batch, before any of it runs: a batch is all-or-nothing at this bound
    if (message.length > this.#maxBatchLength) return this.#error(null, invalidRequest({ maxBatchLength: this.#maxBatchLength }))
    // each member's after-reply work runs as its own answer is worked out: a later member may be waiting for it
    const replies = message.map((item) => {
      const answer = this.#call(item, client)
      return answer instanceof Promise ? answer.then(settleNow) : settleNow(answer)
    })
    return Promise.all(replies).then((all) => {
      const answered = all.filter((reply) => reply !== undefined)
      // §6: a batch of notifications only gets nothing back, not an empty array
      return answered.length === 0 ? undefined : `[${answered.join(',')}]`
    })
  }

  #call (value: unknown, client: Client): Answer | Promise<Answer> {
    const request = readRequest(value)
    if ('invalid' in request) return this.#error(request.id, invalidRequest())
    return this.#run(request, this.#routes.get(request.method), client)
  }

  #run (request: RpcRequest, route: Route<C> | undefined, client: Client): Answer | Promise<Answer> {
    const started = performance.now()
    if (route === undefined) {
      this.#unknownDuration.observe(secondsSince(started))
      return this.#fail(request, methodNotFound(request.method))
    }
    const params = request.params === undefined ? {} : request.params
    if (!route.validator.Check(params)) {
      route.duration.observe(secondsSince(started))
      return this.#fail(request, invalidParams(this.#paramErrors(route, params)))
    }
    let result: unknown
    try {
      result = route.method.handle(params, this.#context(client))
    } catch (err) {
      route.duration.observe(secondsSince(started))
      return this.#thrown(request, err, client)
    }
    if (result instanceof Promise) {
      return result.then(
        (value) => {
          route.duration.observe(secondsSince(started))
          return this.#succeed(request, route, value, client)
        },
        (err) => {
          route.duration.observe(secondsSince(started))
          return this.#thrown(request, err, client)
        })
    }
    route.duration.observe(secondsSince(started))
    return this.#succeed(request, route, result, client)
  }

  #succeed (request: RpcRequest, route: Route<C>, result: unknown, client: Client): Answer {
    if (result instanceof AfterReply) {
      const answer = this.#succeed(request, route, result.result, client)
      if (typeof answer !== 'string') {
        result.run()
        return answer
      }
      return { text: answer, after: result.run }
    }
    if (request.isNotification) return undefined
    try {
      return resultResponse(request.id, result, route.serialize)
    } catch (err) {
      return this.#thrown(request, err, client)
    }
  }

  #thrown (request: RpcRequest, err: unknown, client: Client): Reply {
    if (err instanceof RpcError) return this.#fail(request, err)
    // stacks go to the log, never to the client
    this.#log.error({ err, clientId: client.id, method: request.method }, 'JSON-RPC handler failed')
    return this.#fail(request, internalError())
  }

  /** §4.1: a notification is never answered, not even with an error; it is still counted. */
  #fail (request: RpcRequest, error: RpcError): Reply {
    if (request.isNotification) {
      this.#metrics.rpcErrors.labels(String(error.code)).inc()
      return undefined
    }
    return this.#error(request.id, error)
  }

  #error (id: RpcRequest['id'], error: RpcError): string {
    this.#metrics.rpcErrors.labels(String(error.code)).inc()
    return errorResponse(id, error)
  }

  #paramErrors (route: Route<C>, params: unknown) {
    return route.validator.Errors(params).slice(0, MAX_PARAM_ERRORS)
      .map((error) => ({ path: error.instancePath, message: error.message }))
  }

  #send (client: Client, text: string) {
    if (client.send(text)) this.#metrics.messagesSent.inc()
  }
}

/** The answer's text, running its after-reply work now: for a batch member, and for `process`, which sends nothing. */
function settleNow (answer: Answer): Reply {
  if (answer === undefined || typeof answer === 'string') return answer
  answer.after()
  return answer.text
}

import { ErrorCode } from '../rpc/error-code.js'
import { readRequest } from '../rpc/request.js'
import { errorResponse } from '../rpc/response.js'
import { RpcError } from '../rpc/rpc-error.js'

export interface Refusal {
  /** The frame to send back, or undefined when the refused frame held only notifications. */
  reply: string | undefined
  /** Requests answered -32029. */
  refused: number
  /** Notifications dropped without an answer (JSON-RPC 2.0 §4.1 forbids answering them). */
  dropped: number
}

export const rateLimited = (retryAfterMs: number) =>
  new RpcError(ErrorCode.RateLimited, 'rate limit exceeded', { retryAfterMs })

/**
 * The answer to a frame over the connection's message rate: -32029 for everything that expects an
 * answer (the id is read as the dispatcher would), nothing for notifications. No method runs.
 */
export function refuseFrame (text: string, retryAfterMs: number): Refusal {
  const error = rateLimited(retryAfterMs)
  let message: unknown
  try {
    message = JSON.parse(text)
  } catch {
    return { reply: errorResponse(null, error), refused: 1, dropped: 0 }
  }
  const items = Array.isArray(message) && message.length > 0 ? message : [message]
  const answers: string[] = []
  let dropped = 0
  for (const item of items) {
    const request = readRequest(item)
    if (!('invalid' in request) && request.isNotification) {
      dropped++
      continue
    }
    answers.push(errorResponse(request.id, error))
  }
  let reply: string | undefined
  if (answers.length > 0) reply = Array.isArray(message) && message.length > 0 ? `[${answers.join(',')}]` : answers[0]
  return { reply, refused: answers.length, dropped }
}

import type { PresenceMember } from '../pubsub/presence.js'

/** The notification every client receives, serialized once here; every instance forwards the same bytes. */
export function broadcastNotification (text: string, from: string): Buffer {
  return Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'broadcast', params: { text, from } }))
}

/** Each notification is serialized once here; every instance forwards the same bytes to its subscribers. */
export function messageNotification (channel: string, data: unknown, from: string): Buffer {
  return Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: 'message', params: { channel, data, from } }))
}

export function presenceNotification (event: 'join' | 'leave', channel: string, client: PresenceMember): Buffer {
  return Buffer.from(JSON.stringify({ jsonrpc: '2.0', method: event, params: { channel, client } }))
}

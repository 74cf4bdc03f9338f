/** One client as presence shows it: its id, and the name of the token it authenticated with, when it has one. */
export interface PresenceMember {
  id: string
  user?: string
}

/**
 * Who is subscribed to a channel, across every instance. Each instance writes its own members; a store on a broker
 * expires an instance's entries when it stops renewing them (it died without cleaning up), within one lease.
 */
export interface PresenceStore {
  join (channel: string, member: PresenceMember): Promise<void>
  leave (channel: string, clientId: string): Promise<void>
  members (channel: string): Promise<PresenceMember[]>
  count (channel: string): Promise<number>
  /**
   * A count that includes every join any instance saw confirmed before the call (the per-user connection limit needs
   * it). A store whose `count` already does (Redis, this process) need not have it; one reading a mirror must.
   */
  countNow? (channel: string): Promise<number>
  /** Channels with at least one subscriber on some instance, with their subscriber counts. */
  channels (): Promise<Array<{ channel: string, count: number }>>
  close (): Promise<void>
}

import type { Redis } from 'ioredis'
import type { AuditEntry, StoredTable } from './persistence.ts'

const KEYS = {
  current: 'loopgate:routing:current',
  version: 'loopgate:routing:version',
  audit: 'loopgate:routing:audit',
}
export const ROUTING_CHANNEL = 'loopgate:routing'

/* Compare-and-swap on the version, store, audit and announce in one atomic step. */
const REPLACE = `
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= current then return {-1, current} end
local v = current + 1
if ARGV[6] ~= '' then v = tonumber(ARGV[6]) end
redis.call('SET', KEYS[2], v)
redis.call('SET', KEYS[1], '{"version":' .. v .. ',"updatedAt":' .. cjson.encode(ARGV[3]) .. ',"routes":' .. ARGV[2] .. ',"droppedRoutes":' .. ARGV[8] .. '}')
redis.call('LPUSH', KEYS[3], '{"version":' .. v .. ',"previousVersion":' .. current .. ',"at":' .. cjson.encode(ARGV[3]) .. ',"author":' .. cjson.encode(ARGV[4]) .. ',"reason":' .. cjson.encode(ARGV[5]) .. ',"routes":' .. ARGV[2] .. '}')
redis.call('LTRIM', KEYS[3], 0, 999)
redis.call('PUBLISH', ARGV[7], v)
return {v, current}
`

type WithScript = Redis & { loopgateRoutingReplace(...args: (string | number)[]): Promise<[number, number]> }

/** The routing table in Redis: one version for every replica, announced over pub/sub. */
export class RedisTableSync {
  private readonly redis: WithScript
  private subscriber: Redis | undefined

  constructor(redis: Redis) {
    redis.defineCommand('loopgateRoutingReplace', { numberOfKeys: 3, lua: REPLACE })
    this.redis = redis as WithScript
  }

  /** Whether the shared connection answers now (a command sent otherwise would wait for it). */
  get available(): boolean {
    return this.redis.status === 'ready'
  }

  /** Calls back each time the shared connection becomes ready (after a start without Redis, or an outage). */
  onReady(callback: () => void): void {
    this.redis.on('ready', callback)
  }

  async load(): Promise<StoredTable | undefined> {
    const text = await this.redis.get(KEYS.current)
    return text ? (JSON.parse(text) as StoredTable) : undefined
  }

  /** Returns the new version, or `conflict` with the current one when expectedVersion is stale. */
  async replace(
    routesJson: string,
    meta: {
      expectedVersion?: number
      author: string
      reason: string
      at: string
      forceVersion?: number
      droppedRoutes?: string[]
    },
  ): Promise<{ version: number; previousVersion: number } | { conflict: number }> {
    const [v, current] = await this.redis.loopgateRoutingReplace(
      KEYS.current,
      KEYS.version,
      KEYS.audit,
      meta.expectedVersion?.toString() ?? '',
      routesJson,
      meta.at,
      meta.author,
      meta.reason,
      meta.forceVersion?.toString() ?? '',
      ROUTING_CHANNEL,
      JSON.stringify(meta.droppedRoutes ?? []),
    )
    return v === -1 ? { conflict: current } : { version: v, previousVersion: current }
  }

  async readAudit(limit: number): Promise<AuditEntry[]> {
    const rows = await this.redis.lrange(KEYS.audit, 0, limit - 1)
    return rows.map((r) => JSON.parse(r) as AuditEntry)
  }

  /** Calls back with each announced version (a dedicated connection: a subscribed one can do nothing else). */
  async subscribe(onVersion: (version: number) => void): Promise<void> {
    this.subscriber?.disconnect() // a retried subscription replaces, never orphans, the last one
    this.subscriber = this.redis.duplicate()
    this.subscriber.on('error', () => {}) // an outage is logged once, by the shared connection
    this.subscriber.on('message', (_channel: string, message: string) => onVersion(Number(message)))
    await this.subscriber.subscribe(ROUTING_CHANNEL)
    // Announcements published while this connection was down are lost: after a reconnect, catch up
    // on the version stored meanwhile.
    this.subscriber.on('ready', () => {
      this.redis.get(KEYS.version).then(
        (v) => v && onVersion(Number(v)),
        () => {},
      )
    })
  }

  async close(): Promise<void> {
    if (this.subscriber) this.subscriber.disconnect()
  }
}

import type { Redis } from 'ioredis'
import { normalizeKeyState, type KeyAuditEntry, type KeyState } from './key-state.ts'

const KEYS = { state: 'loopgate:keys:state', version: 'loopgate:keys:version', audit: 'loopgate:keys:audit' }
export const KEYS_CHANNEL = 'loopgate:keys'

/* Compare-and-swap on the version; store, audit and announce in one atomic step. */
const REPLACE = `
local current = tonumber(redis.call('GET', KEYS[2]) or '0')
if tonumber(ARGV[1]) ~= current then return {-1, current} end
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[1], ARGV[3])
if ARGV[4] ~= '' then
  redis.call('LPUSH', KEYS[3], ARGV[4])
  redis.call('LTRIM', KEYS[3], 0, 9999)
end
redis.call('PUBLISH', ARGV[5], ARGV[2])
return {tonumber(ARGV[2]), current}
`

type WithScript = Redis & { loopgateKeysReplace(...args: (string | number)[]): Promise<[number, number]> }

/** The runtime key state in Redis: one version for every replica, announced over pub/sub. */
export class RedisKeyStateSync {
  private readonly redis: WithScript
  private subscriber: Redis | undefined

  constructor(redis: Redis) {
    redis.defineCommand('loopgateKeysReplace', { numberOfKeys: 3, lua: REPLACE })
    this.redis = redis as WithScript
  }

  get available(): boolean {
    return this.redis.status === 'ready'
  }

  onReady(callback: () => void): void {
    this.redis.on('ready', callback)
  }

  async load(): Promise<KeyState | undefined> {
    const text = await this.redis.get(KEYS.state)
    return text ? normalizeKeyState(JSON.parse(text)) : undefined
  }

  /** Stores `state` (whose version is the next one) when Redis still holds `expectedVersion`. */
  async replace(
    state: KeyState,
    expectedVersion: number,
    audit: KeyAuditEntry | undefined,
  ): Promise<{ ok: true } | { conflict: number }> {
    const [v, current] = await this.redis.loopgateKeysReplace(
      KEYS.state,
      KEYS.version,
      KEYS.audit,
      String(expectedVersion),
      String(state.version),
      JSON.stringify(state),
      audit ? JSON.stringify(audit) : '',
      KEYS_CHANNEL,
    )
    return v === -1 ? { conflict: current } : { ok: true }
  }

  async readAudit(limit: number): Promise<KeyAuditEntry[]> {
    return (await this.redis.lrange(KEYS.audit, 0, limit - 1)).map((r) => JSON.parse(r) as KeyAuditEntry)
  }

  /** Calls back with each announced version; after a reconnect, with the version stored meanwhile. */
  async subscribe(onVersion: (version: number) => void): Promise<void> {
    this.subscriber?.disconnect()
    this.subscriber = this.redis.duplicate()
    this.subscriber.on('error', () => {}) // an outage is logged once, by the shared connection
    this.subscriber.on('message', (_channel: string, message: string) => onVersion(Number(message)))
    await this.subscriber.subscribe(KEYS_CHANNEL)
    this.subscriber.on('ready', () => {
      this.redis.get(KEYS.version).then(
        (v) => v && onVersion(Number(v)),
        () => {},
      )
    })
  }

  async close(): Promise<void> {
    this.subscriber?.disconnect()
  }
}

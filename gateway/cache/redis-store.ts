import type { Redis } from 'ioredis'
import type { CacheEntry, CacheStore } from './store.ts'

const PREFIX = 'loopgate:cache:v1:'

/** Resolves `undefined` after `ms`; the command carries on and its answer is dropped. */
function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer))
}

function parse(text: string): CacheEntry | undefined {
  try {
    const e = JSON.parse(text) as CacheEntry
    return typeof e.body === 'string' && typeof e.costUsd === 'string' && typeof e.form === 'string' ? e : undefined
  } catch {
    return undefined
  }
}

/**
 * The cache shared by every gateway on one Redis: each entry a string with Redis's own expiry
 * (`SET … PX`). Redis away, slow or failing → a miss and no write, never a failed request; while
 * the connection is not ready no command is even queued.
 */
export class RedisCacheStore implements CacheStore {
  readonly kind = 'redis'
  private failures = 0

  constructor(
    private readonly redis: Redis,
    private readonly timeoutMs: number,
  ) {}

  async get(key: string): Promise<CacheEntry | undefined> {
    if (this.redis.status !== 'ready') return this.failed()
    try {
      const text = await within(this.redis.get(PREFIX + key), this.timeoutMs)
      if (text === undefined) return this.failed()
      return text === null ? undefined : parse(text)
    } catch {
      return this.failed()
    }
  }

  async set(key: string, entry: CacheEntry, ttlMs: number): Promise<void> {
    if (this.redis.status !== 'ready') return void this.failed()
    try {
      const ok = await within(this.redis.set(PREFIX + key, JSON.stringify(entry), 'PX', ttlMs), this.timeoutMs)
      if (ok === undefined) this.failed()
    } catch {
      this.failed()
    }
  }

  private failed(): undefined {
    this.failures++
    return undefined
  }

  metrics(): Record<string, number> {
    return { loopgate_response_cache_redis_failures_total: this.failures }
  }
}

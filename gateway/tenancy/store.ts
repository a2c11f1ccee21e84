import type { Redis } from 'ioredis'
import type { Logger } from 'pino'
import type { LimitStoreSettings } from '../config.ts'
import { FailoverLimitStore } from './failover-store.ts'
import { SpendJournal } from './journal.ts'
import { dayOf, monthOf, type LimitStore } from './limits.ts'
import { MemoryLimitStore } from './memory-store.ts'
import { RedisLimitStore } from './redis-store.ts'

/**
 * The limit store of one gateway: in memory with a spend journal in `dataDir` (no Redis), or Redis
 * with those local counters as the fallback. `redis` is the gateway's connection; the limits use a
 * duplicate that never queues or retries a command, so a Redis outage cannot hold a request.
 * `reachable`: whether the gateway's connection answered at start.
 */
export async function createLimitStore(
  settings: LimitStoreSettings,
  dataDir: string,
  redis: { connection: Redis; reachable: boolean } | undefined,
  logger: Logger,
  count: (reason: 'limits_unavailable' | 'limits_local_fallback') => void,
): Promise<LimitStore> {
  let journal: SpendJournal | undefined
  const local: MemoryLimitStore = new MemoryLimitStore({
    record: (specs, day, month, units) => journal?.record(specs, day, month, units),
    close: async () => journal?.close(),
  })
  if (settings.journal.enabled) {
    journal = new SpendJournal(
      dataDir,
      {
        flushMs: settings.journal.flushMs,
        compactEvery: settings.journal.compactEvery,
        snapshot: () => local.snapshot(),
      },
      logger,
    )
    const now = Date.now()
    for (const r of journal.load(dayOf(now), monthOf(now)))
      local.raise(r.scope, r.day, r.dayUnits, r.month, r.monthUnits, now)
    await journal.open()
  }
  if (!redis) return local
  const connection = redis.connection.duplicate({
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    commandTimeout: settings.redisTimeoutMs,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1_000),
    lazyConnect: true,
  })
  connection.on('error', () => {}) // reported once per episode by the store, not per reconnect attempt
  const store = new FailoverLimitStore(
    new RedisLimitStore(connection, true),
    local,
    settings.failureMode,
    settings.probeMs,
    logger,
    count,
  )
  if (redis.reachable) {
    await connection.connect().catch(() => {})
  } else {
    // Redis was unreachable at start (the gateway logged it): serve per failureMode from the first
    // request and let the probe bring Redis in, instead of waiting on a connection here.
    connection.connect().catch(() => {})
    store.startDegraded()
  }
  return store
}

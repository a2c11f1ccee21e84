import type { Logger } from 'pino'
import type { ProviderSettings, RouteSettings } from '../config.ts'
import type { Provider } from '../providers/registry.ts'
import type { AuditEntry, StoredTable, TableFiles } from './persistence.ts'
import type { RedisTableSync } from './redis-sync.ts'
import { configProblems, isMismatch, reconcile, type Reconciled } from './reconcile.ts'
import { compileSnapshot, type RoutingSnapshot } from './table.ts'
import { validateRoutingTable } from './validate.ts'

export type ReplaceResult =
  | { ok: true; version: number; previousVersion: number; droppedRoutes: string[] }
  | { ok: false; status: 400 | 409 | 503; errors: string[]; currentVersion: number }

/** The longest an admin change waits on Redis before it is answered with 503. */
const REDIS_ADMIN_WAIT_MS = 2_000

/**
 * Holds the live routing table. Readers take `current` (one immutable snapshot); a replacement
 * swaps the reference, so a request never sees half of two versions.
 */
export class RoutingTable {
  current: RoutingSnapshot
  private readonly providerSettings: Record<string, ProviderSettings>

  constructor(
    private readonly providers: Map<string, Provider>,
    private readonly files: TableFiles,
    private readonly redis: RedisTableSync | undefined,
    private readonly logger: Logger,
  ) {
    this.providerSettings = Object.fromEntries([...providers].map(([k, v]) => [k, v.settings]))
    this.current = compileSnapshot(0, new Date(0).toISOString(), [], providers)
  }

  /** What the configuration names: the only routes and targets that can exist (set by `init`). */
  private configRoutes: RouteSettings[] = []
  /** Routes an admin took out (`dropRoutes`), as the last applied table says (other replicas' too). */
  private dropped: string[] = []
  /** The last mismatch logged for an announcement, so a steady difference between replicas is logged once. */
  private lastAnnouncedMismatch = ''

  /**
   * The configuration's routes, with the learned weights of the stored table (Redis first, shared
   * by replicas; else the file) for the routes and targets that still match. A mismatch is logged
   * with what was kept and dropped and stored as a new version, so the next start is quiet.
   * Routes an admin dropped stay out.
   */
  async init(configRoutes: RouteSettings[]): Promise<void> {
    const valid = validateRoutingTable({ routes: configRoutes }, this.providerSettings)
    if (!valid.ok)
      throw new Error(`gateway.routes: invalid routing table in the config file: ${valid.errors.join('; ')}`)
    this.configRoutes = valid.routes
    if (!this.redis || this.redis.available) {
      await this.load(this.redis)
      if (this.redis) await this.redis.subscribe((v) => void this.onAnnounced(v))
      this.synced = true
      return
    }
    // Redis unreachable at start: the local file only, as without Redis; joined when Redis answers.
    await this.load(undefined)
    this.redis.onReady(() => void this.syncWithRedis())
  }

  /** Whether this replica has joined the table in Redis (always true without Redis). */
  private synced = false
  private syncing = false
  private closed = false

  /**
   * After a start without Redis, the same rule as a fresh start with it: Redis's table when it has
   * one (whatever its version), reconciled with the configuration; else this replica's table seeds
   * Redis. Then the subscription starts. Until then admin changes are refused (503).
   */
  private async syncWithRedis(): Promise<void> {
    if (this.synced || this.syncing || this.closed) return
    this.syncing = true
    try {
      await this.load(this.redis)
      await this.redis!.subscribe((v) => void this.onAnnounced(v))
      if (this.closed) return void (await this.redis!.close())
      this.synced = true
      this.logger.info(
        { version: this.current.version },
        'redis: reachable; routing table synced with Redis and announcements subscribed; limits are shared again once the spend counted meanwhile is added',
      )
    } catch (err) {
      this.logger.warn(
        { err: (err as Error).message },
        'redis: answered, but the routing table could not be synced yet; trying again when it reconnects',
      )
    } finally {
      this.syncing = false
    }
  }

  /**
   * The stored table (Redis first when `redis` is given, else the file) reconciled with the
   * configuration, applied and saved.
   */
  private async load(redis: RedisTableSync | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const lastTry = attempt >= 3
      const fromRedis = redis ? await redis.load() : undefined
      const fromFile = fromRedis ? undefined : await this.files.load()
      const stored = fromRedis ?? fromFile
      const source = fromRedis ? 'redis' : 'file'
      if (!stored) {
        const seed: StoredTable = {
          version: 1,
          updatedAt: new Date().toISOString(),
          routes: this.configRoutes,
          droppedRoutes: [],
        }
        if (redis && !(await this.seedRedis(redis, seed)) && !lastTry) continue
        this.apply(seed, 'config', true)
        await this.files.save(seed)
        break
      }
      const droppedRoutes = stringList(stored.droppedRoutes)
      const merged = reconcile(this.configRoutes, Array.isArray(stored.routes) ? stored.routes : [], (c) =>
        droppedRoutes.includes(c.name) ? undefined : c,
      )
      if (merged.leftOut.length)
        this.logger.warn(
          { routes: merged.leftOut },
          `configured routes ${merged.leftOut.join(', ')} stay out of the routing table: an admin dropped them (a PUT /admin/routing that lists them brings them back)`,
        )
      if (!isMismatch(merged)) {
        const table = { ...stored, routes: merged.routes, droppedRoutes }
        if (fromFile && redis && !(await this.seedRedis(redis, table)) && !lastTry) continue
        this.apply(table, source, true)
        break
      }
      const previous = Number.isInteger(stored.version) ? stored.version : 0
      const table: StoredTable = {
        version: previous + 1,
        updatedAt: new Date().toISOString(),
        routes: merged.routes,
        droppedRoutes,
      }
      this.logger.warn(
        { source, storedVersion: previous, version: table.version, ...summary(merged) },
        describe(merged, `the stored routing table (${source}, version ${previous}) does not match the configuration`),
      )
      const reason = describe(merged, 'reconciled with the configuration at start')
      if (redis) {
        // Compare-and-swap on the version read: when another replica got there first, start over from its table.
        const r = await redis.replace(JSON.stringify(table.routes), {
          expectedVersion: fromRedis ? previous : 0,
          author: 'startup',
          reason,
          at: table.updatedAt,
          forceVersion: fromRedis ? undefined : table.version,
          droppedRoutes,
        })
        if ('conflict' in r && !lastTry) continue
        if (!('conflict' in r)) table.version = r.version
      } else {
        await this.files.appendAudit({
          version: table.version,
          previousVersion: previous,
          at: table.updatedAt,
          author: 'startup',
          reason,
          routes: table.routes,
        })
      }
      this.apply(table, 'config', true)
      await this.files.save(table)
      break
    }
  }

  /** Puts `table` into empty Redis; false when another replica stored one first (then start over from it). */
  private async seedRedis(redis: RedisTableSync, table: StoredTable): Promise<boolean> {
    const r = await redis.replace(JSON.stringify(table.routes), {
      expectedVersion: 0,
      author: 'startup',
      reason: 'seeded from local table',
      at: table.updatedAt,
      forceVersion: table.version,
      droppedRoutes: table.droppedRoutes,
    })
    return !('conflict' in r)
  }

  /** `table.routes` are already reconciled with the configuration (so valid); `force` at start only. */
  private apply(table: StoredTable, source: string, force = false): void {
    if (!force && table.version <= this.current.version) return
    this.current = compileSnapshot(table.version, table.updatedAt, table.routes, this.providers)
    this.dropped = stringList(table.droppedRoutes)
    this.logger.info(
      { source, version: table.version, routes: table.routes.map((r) => r.name) },
      'routing table applied',
    )
  }

  /**
   * Another replica stored a new version. The same rule as at start applies: configured routes
   * and targets only, with the announced weights where they match. A configured route the table
   * does not have stays out when the table says it was dropped; otherwise the writer simply does
   * not know it (its configuration differs) and this replica keeps serving it as it was (a target
   * the writer does not know keeps its current weight the same way).
   */
  private async onAnnounced(version: number): Promise<void> {
    if (version <= this.current.version) return
    try {
      const table = await this.redis!.load()
      if (!table || table.version <= this.current.version) return
      const droppedRoutes = stringList(table.droppedRoutes)
      const serving = (name: string) => this.current.byName.get(name)?.settings
      const merged = reconcile(
        this.configRoutes,
        Array.isArray(table.routes) ? table.routes : [],
        (c) => (droppedRoutes.includes(c.name) ? undefined : (serving(c.name) ?? c)),
        serving,
      )
      const mismatch = JSON.stringify({ dropped: merged.dropped, reset: merged.reset })
      if ((merged.dropped.length || merged.reset.length) && mismatch !== this.lastAnnouncedMismatch) {
        this.logger.warn(
          { version: table.version, ...summary(merged) },
          describe(
            merged,
            `the announced routing table (version ${table.version}) does not match this gateway's configuration`,
          ),
        )
      }
      this.lastAnnouncedMismatch = mismatch
      const applied = { version: table.version, updatedAt: table.updatedAt, routes: merged.routes, droppedRoutes }
      this.apply(applied, 'redis')
      if (this.current.version === table.version) await this.files.save(applied)
    } catch (err) {
      this.logger.error({ err }, 'cannot apply the announced routing table')
    }
  }

  /**
   * A new table from the admin API (the optimizer's pushes too): only configured routes and
   * targets, only weights changed, and routes of the current table left out only when `dropRoutes`
   * names them. A dropped route stays out, across restarts and on every replica, until a table
   * lists it again.
   */
  async replace(
    input: unknown,
    meta: { expectedVersion?: number; author?: string; reason?: string; dropRoutes?: string[] },
  ): Promise<ReplaceResult> {
    const v = validateRoutingTable(input, this.providerSettings)
    if (!v.ok) return { ok: false, status: 400, errors: v.errors, currentVersion: this.current.version }
    const dropRoutes = meta.dropRoutes ?? []
    const problems = configProblems(v.routes, this.configRoutes, [...this.current.byName.keys()], dropRoutes)
    if (problems.length) return { ok: false, status: 400, errors: problems, currentVersion: this.current.version }
    const listed = new Set(v.routes.map((r) => r.name))
    const routes = reconcile(this.configRoutes, v.routes, () => undefined).routes
    const droppedRoutes = [...new Set([...this.dropped, ...dropRoutes])].filter((name) => !listed.has(name))
    const newlyDropped = dropRoutes.filter((name) => this.current.byName.has(name))
    const at = new Date().toISOString()
    const author = meta.author ?? 'admin'
    const reason = `${meta.reason ?? ''}${newlyDropped.length ? `${meta.reason ? ' ' : ''}(routes dropped: ${newlyDropped.join(', ')})` : ''}`
    if (this.redis) {
      if (!this.synced || !this.redis.available) return this.unavailable('Redis is unreachable')
      const r = await withinMs(
        this.redis.replace(JSON.stringify(routes), {
          expectedVersion: meta.expectedVersion,
          author,
          reason,
          at,
          droppedRoutes,
        }),
        REDIS_ADMIN_WAIT_MS,
      )
      if (r === undefined)
        return this.unavailable(
          `Redis did not answer within ${REDIS_ADMIN_WAIT_MS} ms (the table may still be stored when it answers: GET /admin/routing before retrying with expectedVersion)`,
        )
      if ('conflict' in r) return this.conflict(r.conflict)
      const table = { version: r.version, updatedAt: at, routes, droppedRoutes }
      this.apply(table, 'admin')
      await this.files.save(table)
      return { ok: true, ...r, droppedRoutes: this.droppedRoutes() }
    }
    const previousVersion = this.current.version
    if (meta.expectedVersion !== undefined && meta.expectedVersion !== previousVersion)
      return this.conflict(previousVersion)
    const table = { version: previousVersion + 1, updatedAt: at, routes, droppedRoutes }
    this.apply(table, 'admin')
    await this.files.save(table)
    await this.files.appendAudit({ version: table.version, previousVersion, at, author, reason, routes })
    return { ok: true, version: table.version, previousVersion, droppedRoutes: this.droppedRoutes() }
  }

  /** Configured routes the live table does not serve (taken out with `dropRoutes`). */
  droppedRoutes(): string[] {
    return this.configRoutes.map((r) => r.name).filter((name) => !this.current.byName.has(name))
  }

  /** Redis holds the shared table: without it no replica may write one (each would fork the versions). */
  private unavailable(why: string): ReplaceResult {
    return {
      ok: false,
      status: 503,
      errors: [`${why}: the routing table is shared through Redis and cannot change until it answers; retry later`],
      currentVersion: this.current.version,
    }
  }

  private conflict(current: number): ReplaceResult {
    return {
      ok: false,
      status: 409,
      errors: [`expectedVersion is stale: the current version is ${current}; GET /admin/routing and retry`],
      currentVersion: current,
    }
  }

  /** From Redis when it answers; otherwise the local trail (changes made here without Redis). */
  async audit(limit = 100): Promise<AuditEntry[]> {
    if (!this.redis || !this.redis.available) return this.files.readAudit(limit)
    return (await withinMs(this.redis.readAudit(limit), REDIS_ADMIN_WAIT_MS)) ?? this.files.readAudit(limit)
  }

  async close(): Promise<void> {
    this.closed = true
    await this.redis?.close()
  }
}

function summary(r: Reconciled) {
  return { kept: r.kept, dropped: r.dropped, added: r.added, updated: r.updated, reset: r.reset }
}

/** `promise`'s value, or undefined once `ms` passed (the promise itself is left to settle). */
async function withinMs<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  promise.catch(() => {}) // settles after the timeout: nobody waits for it any more
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const stringList = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []

/** One line naming what was kept, dropped, added and reset. */
function describe(r: Reconciled, what: string): string {
  const part = (label: string, items: string[]) => (items.length ? `${label} ${items.join(', ')}` : '')
  const parts = [
    part('kept learned weights of', r.kept),
    part('dropped (not configured)', r.dropped),
    part('added from the configuration', r.added),
    part('settings updated from the configuration for', r.updated),
    part('all kept weights were zero, configured weights used for', r.reset),
  ].filter(Boolean)
  return `${what}: ${parts.join('; ') || 'nothing changed'}`
}

import type { Logger } from 'pino'
import type { ProviderSettings, RouteSettings } from '../config.ts'
import type { Provider } from '../providers/registry.ts'
import type { AuditEntry, StoredTable, TableFiles } from './persistence.ts'
import type { RedisTableSync } from './redis-sync.ts'
import { compileSnapshot, type RoutingSnapshot } from './table.ts'
import { validateRoutingTable } from './validate.ts'

export type ReplaceResult =
  | { ok: true; version: number; previousVersion: number }
  | { ok: false; status: 400 | 409; errors: string[]; currentVersion: number }

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

  /** Redis first (shared by replicas), then the file, then the config file's routes as version 1. */
  async init(configRoutes: RouteSettings[]): Promise<void> {
    const fromRedis = this.redis ? await this.redis.load() : undefined
    const fromFile = fromRedis ? undefined : await this.files.load()
    const stored = fromRedis ?? fromFile
    if (stored && this.tryApply(stored, fromRedis ? 'redis' : 'file')) {
      if (fromFile && this.redis) await this.seedRedis(stored)
    } else {
      const seed: StoredTable = { version: 1, updatedAt: new Date().toISOString(), routes: configRoutes }
      if (!this.tryApply(seed, 'config')) throw new Error('gateway.routes: invalid routing table in the config file')
      if (this.redis) await this.seedRedis(seed)
      await this.files.save(seed)
    }
    if (this.redis) await this.redis.subscribe((v) => void this.onAnnounced(v))
  }

  private async seedRedis(table: StoredTable): Promise<void> {
    const r = await this.redis!.replace(JSON.stringify(table.routes), { expectedVersion: 0, author: 'startup', reason: 'seeded from local table', at: table.updatedAt, forceVersion: table.version })
    if ('conflict' in r) await this.onAnnounced(r.conflict) // another replica seeded first: take its table
  }

  private tryApply(table: StoredTable, source: string): boolean {
    const v = validateRoutingTable({ routes: table.routes }, this.providerSettings)
    if (!v.ok) {
      this.logger.error({ source, version: table.version, errors: v.errors }, 'routing table rejected')
      return false
    }
    if (table.version <= this.current.version && this.current.version !== 0) return true
    this.current = compileSnapshot(table.version, table.updatedAt, v.routes, this.providers)
    this.logger.info({ source, version: table.version }, 'routing table applied')
    return true
  }

  private async onAnnounced(version: number): Promise<void> {
    if (version <= this.current.version) return
    try {
      const table = await this.redis!.load()
      if (table && this.tryApply(table, 'redis') && table.version === this.current.version) await this.files.save(table)
    } catch (err) {
      this.logger.error({ err }, 'cannot apply the announced routing table')
    }
  }

  async replace(input: unknown, meta: { expectedVersion?: number; author?: string; reason?: string }): Promise<ReplaceResult> {
    const v = validateRoutingTable(input, this.providerSettings)
    if (!v.ok) return { ok: false, status: 400, errors: v.errors, currentVersion: this.current.version }
    const at = new Date().toISOString()
    const author = meta.author ?? 'admin'
    const reason = meta.reason ?? ''
    if (this.redis) {
      const r = await this.redis.replace(JSON.stringify(v.routes), { expectedVersion: meta.expectedVersion, author, reason, at })
      if ('conflict' in r) return this.conflict(r.conflict)
      this.tryApply({ version: r.version, updatedAt: at, routes: v.routes }, 'admin')
      await this.files.save({ version: r.version, updatedAt: at, routes: v.routes })
      return { ok: true, ...r }
    }
    const previousVersion = this.current.version
    if (meta.expectedVersion !== undefined && meta.expectedVersion !== previousVersion) return this.conflict(previousVersion)
    const table = { version: previousVersion + 1, updatedAt: at, routes: v.routes }
    this.tryApply(table, 'admin')
    await this.files.save(table)
    await this.files.appendAudit({ version: table.version, previousVersion, at, author, reason, routes: v.routes })
    return { ok: true, version: table.version, previousVersion }
  }

  private conflict(current: number): ReplaceResult {
    return { ok: false, status: 409, errors: [`expectedVersion is stale: the current version is ${current}; GET /admin/routing and retry`], currentVersion: current }
  }

  audit(limit = 100): Promise<AuditEntry[]> {
    return this.redis ? this.redis.readAudit(limit) : this.files.readAudit(limit)
  }

  async close(): Promise<void> {
    await this.redis?.close()
  }
}

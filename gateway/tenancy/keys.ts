import { usdToUnits } from '../../lib/money.ts'
import { sha256Hex, type Catalog } from './key-catalog.ts'
import type { Limits } from './key-state.ts'
import type { LimitSpec } from './limits.ts'

export interface KeyRecord {
  tenantId: string
  /** Safe to log and to use in counters: the key's name or a short prefix of its hash (runtime keys: `vk_…`). */
  keyId: string
  routes: Set<string> | undefined
  /** Tenant-wide and per-key limits that apply to this key's requests. */
  limits: LimitSpec[]
  /** Set when an admin revoked the key: it authenticates no request any more. */
  revokedAt?: string
}

/** Known keys already hashed once: hashing on every request costs more than the rest of auth. */
const CACHE_LIMIT = 4096

export const tenantScope = (tenant: string) => `t:${tenant}`
export const keyScope = (tenant: string, keyId: string) => `k:${tenant}:${keyId}`

/**
 * A scope's limits. A scope without any limit is still listed: the store then only counts its spend,
 * which the admin API reports per key and per tenant.
 */
function spec(scope: string, label: string, l: Limits): LimitSpec {
  return {
    scope,
    label,
    rpm: l.rateLimits?.rpm,
    tpm: l.rateLimits?.tpm,
    usdPerDay: l.budgets?.usdPerDay !== undefined ? usdToUnits(l.budgets.usdPerDay) : undefined,
    usdPerMonth: l.budgets?.usdPerMonth !== undefined ? usdToUnits(l.budgets.usdPerMonth) : undefined,
  }
}

/** Virtual keys → tenants. Only SHA-256 hashes are kept; config may hold `sha256:<hex>` instead of the key. */
export class VirtualKeys {
  private byHash = new Map<string, KeyRecord>()
  /** Raw key → record, known keys only, bounded; held in memory only, never logged or persisted. */
  private recent = new Map<string, KeyRecord>()

  constructor(catalog: Catalog) {
    this.rebuild(catalog)
  }

  /** Swaps in the keys of `catalog` at once (after an admin change on any replica); a revoked key fails its next request. */
  rebuild(catalog: Catalog): void {
    const tenantSpecs = new Map(
      catalog.tenants.map((t) => [t.tenant, spec(tenantScope(t.tenant), `tenant "${t.tenant}"`, t.limits)]),
    )
    const byHash = new Map<string, KeyRecord>()
    for (const k of catalog.keys) {
      const tenantSpec = tenantSpecs.get(k.tenant) ?? spec(tenantScope(k.tenant), `tenant "${k.tenant}"`, {})
      byHash.set(k.hash, {
        tenantId: k.tenant,
        keyId: k.id,
        routes: k.routes ? new Set(k.routes) : undefined,
        limits: [tenantSpec, spec(keyScope(k.tenant, k.id), `key "${k.id}" of tenant "${k.tenant}"`, k.limits)],
        ...(k.revokedAt ? { revokedAt: k.revokedAt } : {}),
      })
    }
    this.byHash = byHash
    this.recent = new Map()
  }

  get size(): number {
    return this.byHash.size
  }

  lookup(key: string): KeyRecord | undefined {
    const hit = this.recent.get(key)
    if (hit) return hit
    const rec = this.byHash.get(sha256Hex(key))
    if (rec) {
      // Unknown keys are not cached, so guessing cannot evict the keys in use.
      if (this.recent.size >= CACHE_LIMIT) this.recent.delete(this.recent.keys().next().value!)
      this.recent.set(key, rec)
    }
    return rec
  }
}

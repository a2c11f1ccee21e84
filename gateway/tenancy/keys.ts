import { createHash } from 'node:crypto'
import type { TenantSettings } from '../config.ts'
import { usdToUnits } from '../../lib/money.ts'
import type { LimitSpec } from './limits.ts'

export interface KeyRecord {
  tenantId: string
  /** Safe to log and to use in counters: the key's name or a short prefix of its hash. */
  keyId: string
  routes: Set<string> | undefined
  /** Tenant-wide and per-key limits that apply to this key's requests. */
  limits: LimitSpec[]
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex')

/** Known keys already hashed once: hashing on every request costs more than the rest of auth. */
const CACHE_LIMIT = 4096

function spec(scope: string, label: string, b: TenantSettings['budgets'], r: TenantSettings['rateLimits']): LimitSpec | undefined {
  const s: LimitSpec = {
    scope,
    label,
    rpm: r?.rpm,
    tpm: r?.tpm,
    usdPerDay: b?.usdPerDay !== undefined ? usdToUnits(b.usdPerDay) : undefined,
    usdPerMonth: b?.usdPerMonth !== undefined ? usdToUnits(b.usdPerMonth) : undefined,
  }
  return s.rpm || s.tpm || s.usdPerDay !== undefined || s.usdPerMonth !== undefined ? s : undefined
}

/** Virtual keys → tenants. Only SHA-256 hashes are kept; config may hold `sha256:<hex>` instead of the key. */
export class VirtualKeys {
  private readonly byHash = new Map<string, KeyRecord>()
  /** Raw key → record, known keys only, bounded; held in memory only, never logged or persisted. */
  private readonly recent = new Map<string, KeyRecord>()

  constructor(tenants: TenantSettings[]) {
    for (const t of tenants) {
      const tenantSpec = spec(`t:${t.id}`, `tenant "${t.id}"`, t.budgets, t.rateLimits)
      for (const k of t.keys) {
        const hash = k.key.startsWith('sha256:') ? k.key.slice(7).toLowerCase() : sha256(k.key)
        const keyId = k.name ?? hash.slice(0, 12)
        const keySpec = spec(`k:${t.id}:${keyId}`, `key "${keyId}" of tenant "${t.id}"`, k.budgets, k.rateLimits)
        this.byHash.set(hash, {
          tenantId: t.id,
          keyId,
          routes: k.routes ? new Set(k.routes) : undefined,
          limits: [tenantSpec, keySpec].filter((s): s is LimitSpec => s !== undefined),
        })
      }
    }
  }

  get size(): number {
    return this.byHash.size
  }

  lookup(key: string): KeyRecord | undefined {
    const hit = this.recent.get(key)
    if (hit) return hit
    const rec = this.byHash.get(sha256(key))
    if (rec) {
      // Unknown keys are not cached, so guessing cannot evict the keys in use.
      if (this.recent.size >= CACHE_LIMIT) this.recent.delete(this.recent.keys().next().value!)
      this.recent.set(key, rec)
    }
    return rec
  }
}

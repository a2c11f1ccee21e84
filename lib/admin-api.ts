/**
 * Wire types of the gateway's admin API for virtual keys, limits and the routing table
 * (docs/gateway.md › Admin API), as the gateway answers them and the collector relays them to the
 * dashboard (`/api/admin/*`, `/api/keys`), and the scoreboard's list prices the optimizer reads.
 */

/**
 * A target's list price in force now, in `GET /admin/targets`: USD decimal strings per million
 * tokens (base rates; tiers apply above a total input). A rate the price table does not have is
 * absent (output tokens of an embedding model); cache tokens without their own rate are charged as input.
 */
export interface AdminTargetPrice {
  inputPerMTok?: string
  outputPerMTok?: string
  cacheReadPerMTok?: string
  cacheWritePerMTok?: string
}

export interface AdminBudgets {
  /** USD decimal strings. */
  usdPerDay?: string
  usdPerMonth?: string
}

export interface AdminRateLimits {
  rpm?: number
  tpm?: number
}

export interface AdminLimits {
  budgets?: AdminBudgets
  rateLimits?: AdminRateLimits
}

/** Settled spend of the current UTC day and month, exact USD decimal strings. */
export interface AdminSpend {
  today: string
  thisMonth: string
}

export interface AdminKey {
  id: string
  tenant: string
  name?: string
  /** `config`: declared in loopgate.yaml (may be revoked, not rewritten); `api`: created through the admin API. */
  source: 'config' | 'api'
  createdAt?: string
  createdBy?: string
  revokedAt?: string
  routes?: string[]
  /** The limits that apply (the configuration's fields win). */
  limits: AdminLimits
  /** The fields the configuration declares (read-only through the API). */
  configLimits: AdminLimits
  spend: AdminSpend
}

export interface AdminTenant {
  tenant: string
  source: 'config' | 'api'
  limits: AdminLimits
  configLimits: AdminLimits
  spend: AdminSpend
}

export interface AdminKeyList {
  /** Version of the runtime key state this answer reflects. */
  version: number
  keys: AdminKey[]
  tenants: AdminTenant[]
}

/** Who changed what and why; `author` and `reason` as the caller gave them. */
export interface AdminChangeMeta {
  reason?: string
  author?: string
}

export interface CreateKeyRequest extends AdminLimits, AdminChangeMeta {
  name?: string
  routes?: string[]
}

/** The secret is in this answer only: the gateway keeps its SHA-256 hash. */
export interface CreatedKey {
  key: AdminKey
  secret: string
}

export type LimitsRequest = AdminLimits & AdminChangeMeta

export interface KeyAuditEntry {
  version: number
  previousVersion: number
  at: string
  author: string
  reason: string
  action: 'key.create' | 'key.revoke' | 'key.limits' | 'tenant.limits'
  tenant: string
  key?: string
  change: Record<string, unknown>
}

export interface RoutingTarget {
  provider: string
  model: string
  weight?: number
  id?: string
  [setting: string]: unknown
}

export interface RoutingRoute {
  name: string
  targets: RoutingTarget[]
  [setting: string]: unknown
}

export interface RoutingTableView {
  version: number
  updatedAt: string
  routes: RoutingRoute[]
  droppedRoutes: string[]
}

export interface RoutingAuditEntry {
  version: number
  previousVersion: number
  at: string
  author: string
  reason: string
  routes: RoutingRoute[]
}

/** What a tenant read key sees of its own keys: read-only, no limits to edit. */
export interface TenantKeyList {
  keys: Pick<AdminKey, 'id' | 'tenant' | 'name' | 'createdAt' | 'revokedAt' | 'limits' | 'spend'>[]
  tenants: Pick<AdminTenant, 'tenant' | 'limits' | 'spend'>[]
}

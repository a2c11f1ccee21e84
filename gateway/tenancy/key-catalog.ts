import { createHash } from 'node:crypto'
import type { TenantSettings } from '../config.ts'
import { mergeLimits, type KeyState, type Limits } from './key-state.ts'

export const sha256Hex = (s: string) => createHash('sha256').update(s).digest('hex')

/** Every key the gateway knows, config-declared and runtime, with the limits that apply to it. */
export interface CatalogKey {
  id: string
  tenant: string
  name?: string
  source: 'config' | 'api'
  hash: string
  createdAt?: string
  createdBy?: string
  revokedAt?: string
  routes?: string[]
  /** What applies: the configuration's fields, and the runtime ones where the config is silent. */
  limits: Limits
  /** What the configuration declares (read-only through the API). */
  configLimits: Limits
}

export interface CatalogTenant {
  tenant: string
  /** `config` when the configuration lists the tenant. */
  source: 'config' | 'api'
  limits: Limits
  configLimits: Limits
}

export interface Catalog {
  keys: CatalogKey[]
  tenants: CatalogTenant[]
}

const configLimitsOf = (o: {
  budgets?: TenantSettings['budgets']
  rateLimits?: TenantSettings['rateLimits']
}): Limits => mergeLimits({ budgets: o.budgets, rateLimits: o.rateLimits }, undefined)

/** The configuration's tenants and keys joined with the runtime state (key-state.ts says how). */
export function buildCatalog(config: TenantSettings[], state: KeyState): Catalog {
  const tenants = new Map<string, CatalogTenant>()
  const runtimeTenant = new Map(state.tenants.map((t) => [t.tenant, t.limits]))
  const override = new Map(state.configKeys.map((o) => [o.hash, o]))
  const keys: CatalogKey[] = []
  for (const t of config) {
    const configLimits = configLimitsOf(t)
    tenants.set(t.id, {
      tenant: t.id,
      source: 'config',
      limits: mergeLimits(configLimits, runtimeTenant.get(t.id)),
      configLimits,
    })
    for (const k of t.keys) {
      const hash = k.key.startsWith('sha256:') ? k.key.slice(7).toLowerCase() : sha256Hex(k.key)
      const o = override.get(hash)
      const keyConfig = configLimitsOf(k)
      keys.push({
        id: k.name ?? hash.slice(0, 12),
        tenant: t.id,
        ...(k.name ? { name: k.name } : {}),
        source: 'config',
        hash,
        ...(o?.revokedAt ? { revokedAt: o.revokedAt } : {}),
        ...(k.routes ? { routes: k.routes } : {}),
        limits: mergeLimits(keyConfig, o?.limits),
        configLimits: keyConfig,
      })
    }
  }
  for (const t of state.tenants) {
    if (!tenants.has(t.tenant))
      tenants.set(t.tenant, { tenant: t.tenant, source: 'api', limits: mergeLimits({}, t.limits), configLimits: {} })
  }
  for (const k of state.keys) {
    if (!tenants.has(k.tenant)) tenants.set(k.tenant, { tenant: k.tenant, source: 'api', limits: {}, configLimits: {} })
    keys.push({
      id: k.id,
      tenant: k.tenant,
      ...(k.name ? { name: k.name } : {}),
      source: 'api',
      hash: k.hash,
      createdAt: k.createdAt,
      createdBy: k.createdBy,
      ...(k.revokedAt ? { revokedAt: k.revokedAt } : {}),
      ...(k.routes ? { routes: k.routes } : {}),
      limits: mergeLimits({}, k.limits),
      configLimits: {},
    })
  }
  return { keys, tenants: [...tenants.values()] }
}

import { randomBytes } from 'node:crypto'
import { z } from 'zod'
import { isDecimal } from '../../lib/money.ts'
import { ID_ALLOWED } from '../../lib/limits.ts'
import { sha256Hex as sha, type CatalogKey, type CatalogTenant } from './key-catalog.ts'
import type { Mutation } from './key-state-store.ts'
import { declaredFields, type KeyState, type Limits } from './key-state.ts'

/* Validation of admin input (every refusal names the field) and the pure state changes it asks for. */

export const TENANT_ID = /^[a-z0-9][a-z0-9_.-]{0,63}$/
const KEY_NAME = /^[A-Za-z0-9_.-]{1,64}$/

const text = (max: number) =>
  z.string().max(max, `at most ${max} characters`).regex(ID_ALLOWED, 'no control characters')
const usd = z
  .union([z.string().max(32, 'at most 32 characters'), z.number().nonnegative().finite()])
  .transform((v) => (typeof v === 'number' ? v.toFixed(12).replace(/\.?0+$/, '') : v.trim()))
  .refine(isDecimal, 'must be a non-negative decimal such as "0.15" (at most 12 decimals)')
const perMinute = z.number().int('must be a whole number').positive('must be positive').max(Number.MAX_SAFE_INTEGER)

const limitsShape = {
  budgets: z.object({ usdPerDay: usd.optional(), usdPerMonth: usd.optional() }).strict().optional(),
  rateLimits: z.object({ rpm: perMinute.optional(), tpm: perMinute.optional() }).strict().optional(),
}
const who = { reason: text(500).optional(), author: text(100).optional() }

export const createKeyInput = z
  .object({
    name: z.string().regex(KEY_NAME, 'use 1-64 letters, digits, "_", "." or "-"').optional(),
    routes: z.array(text(256).min(1)).max(256).optional(),
    ...limitsShape,
    ...who,
  })
  .strict()
export const limitsInput = z.object({ ...limitsShape, ...who }).strict()
export const revokeInput = z.object(who).strict()

export type CreateKeyInput = z.infer<typeof createKeyInput>
export type LimitsInput = z.infer<typeof limitsInput>

/** zod's issues as `field: message` lines. */
export function parseInput<T>(
  schema: z.ZodType<T>,
  body: unknown,
): { ok: true; value: T } | { ok: false; errors: string[] } {
  const r = schema.safeParse(body ?? {})
  if (r.success) return { ok: true, value: r.data }
  return { ok: false, errors: r.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`) }
}

function limitsOf(input: LimitsInput | CreateKeyInput): Limits {
  const budgets = Object.fromEntries(Object.entries(input.budgets ?? {}).filter(([, v]) => v !== undefined))
  const rateLimits = Object.fromEntries(Object.entries(input.rateLimits ?? {}).filter(([, v]) => v !== undefined))
  return {
    ...(Object.keys(budgets).length ? { budgets } : {}),
    ...(Object.keys(rateLimits).length ? { rateLimits } : {}),
  }
}

/** Setting a field the configuration declares is refused: the configuration stays authoritative for it. */
function configConflicts(what: string, wanted: Limits, config: Limits, where: string): Mutation | undefined {
  const declared = new Set(declaredFields(config))
  const clash = declaredFields(wanted).filter((f) => declared.has(f))
  if (!clash.length) return undefined
  return {
    ok: false,
    status: 409,
    errors: clash.map((f) => `${f}: ${what} declares it in the configuration (${where}.${f}); change it there`),
  }
}

const audit = (input: { reason?: string; author?: string }) => ({
  author: input.author || 'admin',
  reason: input.reason ?? '',
})

export function createKey(
  tenant: string,
  input: CreateKeyInput,
  existing: CatalogKey[],
  knownRoutes: Set<string>,
): { secret: string; id: string; mutate: (s: KeyState) => Mutation } {
  const secret = `lg-${randomBytes(24).toString('base64url')}`
  let id = `vk_${randomBytes(6).toString('hex')}`
  while (existing.some((k) => k.id === id)) id = `vk_${randomBytes(6).toString('hex')}`
  const limits = limitsOf(input)
  return {
    secret,
    id,
    mutate: (s) => {
      const unknown = (input.routes ?? []).filter((r) => !knownRoutes.has(r))
      if (unknown.length)
        return {
          ok: false,
          status: 400,
          errors: unknown.map((r) => `routes: unknown route "${r}" (known: ${[...knownRoutes].join(', ') || 'none'})`),
        }
      if (input.name && existing.some((k) => k.tenant === tenant && (k.name === input.name || k.id === input.name))) {
        return { ok: false, status: 409, errors: [`name: tenant "${tenant}" already has a key named "${input.name}"`] }
      }
      const { author, reason } = audit(input)
      const key = {
        id,
        tenant,
        ...(input.name ? { name: input.name } : {}),
        hash: sha(secret),
        createdAt: new Date().toISOString(),
        createdBy: author,
        ...(input.routes ? { routes: input.routes } : {}),
        limits,
      }
      return {
        ok: true,
        state: { ...s, keys: [...s.keys, key] },
        audit: {
          author,
          reason,
          action: 'key.create',
          tenant,
          key: id,
          change: {
            ...(input.name ? { name: input.name } : {}),
            ...(input.routes ? { routes: input.routes } : {}),
            limits,
          },
        },
      }
    },
  }
}

export function revokeKey(key: CatalogKey, input: z.infer<typeof revokeInput>): (s: KeyState) => Mutation {
  return (s) => {
    // Read from the state the change applies to (another replica may have revoked it meanwhile).
    const revokedAt =
      key.source === 'api'
        ? s.keys.find((k) => k.hash === key.hash)?.revokedAt
        : s.configKeys.find((o) => o.hash === key.hash)?.revokedAt
    if (revokedAt)
      return {
        ok: false,
        status: 409,
        errors: [`key "${key.id}" of tenant "${key.tenant}" was already revoked at ${revokedAt}`],
      }
    const at = new Date().toISOString()
    const state =
      key.source === 'api'
        ? { ...s, keys: s.keys.map((k) => (k.hash === key.hash ? { ...k, revokedAt: at } : k)) }
        : { ...s, configKeys: upsert(s.configKeys, key, (o) => ({ ...o, revokedAt: at })) }
    return {
      ok: true,
      state,
      audit: {
        ...audit(input),
        action: 'key.revoke',
        tenant: key.tenant,
        key: key.id,
        change: { revokedAt: at, source: key.source },
      },
    }
  }
}

export function setKeyLimits(key: CatalogKey, input: LimitsInput): (s: KeyState) => Mutation {
  return (s) => {
    const limits = limitsOf(input)
    const clash = configConflicts(`key "${key.id}"`, limits, key.configLimits, `tenants[${key.tenant}].keys[${key.id}]`)
    if (clash) return clash
    const state =
      key.source === 'api'
        ? { ...s, keys: s.keys.map((k) => (k.hash === key.hash ? { ...k, limits } : k)) }
        : { ...s, configKeys: upsert(s.configKeys, key, (o) => ({ ...o, limits })) }
    return {
      ok: true,
      state,
      audit: { ...audit(input), action: 'key.limits', tenant: key.tenant, key: key.id, change: { limits } },
    }
  }
}

export function setTenantLimits(
  tenant: string,
  current: CatalogTenant | undefined,
  input: LimitsInput,
): (s: KeyState) => Mutation {
  return (s) => {
    const limits = limitsOf(input)
    const clash = current && configConflicts(`tenant "${tenant}"`, limits, current.configLimits, `tenants[${tenant}]`)
    if (clash) return clash
    const tenants = [
      ...s.tenants.filter((t) => t.tenant !== tenant),
      ...(Object.keys(limits).length ? [{ tenant, limits }] : []),
    ]
    return {
      ok: true,
      state: { ...s, tenants },
      audit: { ...audit(input), action: 'tenant.limits', tenant, change: { limits } },
    }
  }
}

function upsert(
  list: KeyState['configKeys'],
  key: CatalogKey,
  change: (o: KeyState['configKeys'][number]) => KeyState['configKeys'][number],
) {
  const found = list.find((o) => o.hash === key.hash)
  const base = found ?? { tenant: key.tenant, id: key.id, hash: key.hash, limits: {} }
  return [...list.filter((o) => o !== found), change(base)]
}

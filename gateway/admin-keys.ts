import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { z } from 'zod'
import type { AdminKey, AdminKeyList, AdminTenant } from '../lib/admin-api.ts'
import { count, type GatewayContext } from './context.ts'
import { unitsToUsd } from '../lib/money.ts'
import { buildCatalog, type Catalog, type CatalogKey, type CatalogTenant } from './tenancy/key-catalog.ts'
import {
  TENANT_ID,
  createKey,
  createKeyInput,
  limitsInput,
  parseInput,
  revokeInput,
  revokeKey,
  setKeyLimits,
  setTenantLimits,
} from './tenancy/key-changes.ts'
import type { ChangeResult, Mutation } from './tenancy/key-state-store.ts'
import type { KeyState } from './tenancy/key-state.ts'
import { keyScope, tenantScope } from './tenancy/keys.ts'

/**
 * Admin API for virtual keys, budgets and rate limits managed at run time (docs/gateway.md › Admin
 * API). Registered inside the admin scope, so every route needs the admin token.
 */
export function registerKeyAdmin(scope: FastifyInstance, ctx: GatewayContext): void {
  const catalog = (): Catalog => buildCatalog(ctx.settings.tenants, ctx.keyState.current)
  const refuse = (reply: FastifyReply, status: 400 | 404 | 409 | 503, errors: string[]) => {
    count(
      ctx,
      `keys_admin_${status === 400 ? 'refused' : status === 404 ? 'not_found' : status === 409 ? 'conflict' : 'unavailable'}`,
    )
    if (status === 503) reply.header('retry-after', '1')
    const type =
      status === 400
        ? 'invalid_request_error'
        : status === 404
          ? 'not_found'
          : status === 409
            ? 'conflict'
            : 'unavailable'
    return reply.code(status).send({ error: { message: errors.join('; '), type, errors } })
  }
  const spend = async (scopeName: string) => {
    const s = await ctx.limits.spent(scopeName, Date.now())
    return { today: unitsToUsd(s.day), thisMonth: unitsToUsd(s.month) }
  }
  // Never the hash: a list answer carries no credential material at all.
  const keyView = async (k: CatalogKey): Promise<AdminKey> => ({
    id: k.id,
    tenant: k.tenant,
    ...(k.name ? { name: k.name } : {}),
    source: k.source,
    ...(k.createdAt ? { createdAt: k.createdAt, createdBy: k.createdBy } : {}),
    ...(k.revokedAt ? { revokedAt: k.revokedAt } : {}),
    ...(k.routes ? { routes: k.routes } : {}),
    limits: k.limits,
    configLimits: k.configLimits,
    spend: await spend(keyScope(k.tenant, k.id)),
  })
  const tenantView = async (t: CatalogTenant): Promise<AdminTenant> => ({
    ...t,
    spend: await spend(tenantScope(t.tenant)),
  })
  const tenantParam = (reply: FastifyReply, tenant: string) =>
    TENANT_ID.test(tenant)
      ? undefined
      : refuse(reply, 400, [
          `tenant: "${tenant.slice(0, 80)}" is not a tenant id (lowercase letters, digits, "_", "." or "-", at most 64)`,
        ])
  const findKey = (tenant: string, id: string) => catalog().keys.find((k) => k.tenant === tenant && k.id === id)
  const answer = async (reply: FastifyReply, r: ChangeResult, view: () => Promise<unknown>, status = 200) => {
    if (!r.ok) return refuse(reply, r.status, r.errors)
    return reply.code(status).send(await view())
  }

  scope.get('/admin/keys', async (req, reply): Promise<AdminKeyList | FastifyReply> => {
    const tenant = (req.query as { tenant?: string }).tenant
    if (tenant !== undefined && tenantParam(reply, tenant)) return reply
    const c = catalog()
    const keys = c.keys.filter((k) => tenant === undefined || k.tenant === tenant)
    const tenants = c.tenants.filter((t) => tenant === undefined || t.tenant === tenant)
    return {
      version: ctx.keyState.current.version,
      keys: await Promise.all(keys.map(keyView)),
      tenants: await Promise.all(tenants.map(tenantView)),
    }
  })

  scope.get('/admin/keys/audit', async (req) => {
    const limit = Math.min(1000, Math.max(1, Number((req.query as { limit?: string }).limit ?? 100) || 100))
    return { entries: await ctx.keyState.audit(limit) }
  })

  scope.post('/admin/tenants/:tenant/keys', async (req, reply) => {
    const { tenant } = req.params as { tenant: string }
    if (tenantParam(reply, tenant)) return reply
    const input = parseInput(createKeyInput, req.body)
    if (!input.ok) return refuse(reply, 400, input.errors)
    const known = new Set([...ctx.routing.current.byName.keys()])
    const c = createKey(tenant, input.value, catalog().keys, known)
    const r = await ctx.keyState.change(c.mutate)
    // The secret is answered here once; only its hash is stored.
    return answer(reply, r, async () => ({ key: await keyView(findKey(tenant, c.id)!), secret: c.secret }), 201)
  })

  /** A change to one existing key: its tenant checked, the body parsed, 404 for a key the tenant does not have. */
  const onKey =
    <T>(schema: z.ZodType<T>, change: (key: CatalogKey, input: T) => (s: KeyState) => Mutation) =>
    async (req: FastifyRequest, reply: FastifyReply) => {
      const { tenant, key } = req.params as { tenant: string; key: string }
      if (tenantParam(reply, tenant)) return reply
      const input = parseInput(schema, req.body)
      if (!input.ok) return refuse(reply, 400, input.errors)
      const found = findKey(tenant, key)
      if (!found)
        return refuse(reply, 404, [`tenant "${tenant}" has no key "${key.slice(0, 80)}" (GET /admin/keys lists them)`])
      const r = await ctx.keyState.change(change(found, input.value))
      return answer(reply, r, async () => ({ key: await keyView(findKey(tenant, key)!) }))
    }
  scope.post('/admin/tenants/:tenant/keys/:key/revoke', onKey(revokeInput, revokeKey))
  scope.put('/admin/tenants/:tenant/keys/:key/limits', onKey(limitsInput, setKeyLimits))

  scope.put('/admin/tenants/:tenant/limits', async (req, reply) => {
    const { tenant } = req.params as { tenant: string }
    if (tenantParam(reply, tenant)) return reply
    const input = parseInput(limitsInput, req.body)
    if (!input.ok) return refuse(reply, 400, input.errors)
    const r = await ctx.keyState.change(
      setTenantLimits(
        tenant,
        catalog().tenants.find((t) => t.tenant === tenant),
        input.value,
      ),
    )
    const view = async () => {
      const t = catalog().tenants.find((x) => x.tenant === tenant)
      return { tenant: await tenantView(t ?? { tenant, source: 'api', limits: {}, configLimits: {} }) }
    }
    return answer(reply, r, view)
  })
}

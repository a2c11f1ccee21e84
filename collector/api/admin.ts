import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { z } from 'zod'
import type { AdminKeyList, TenantKeyList } from '../../lib/admin-api.ts'
import type { CollectorDeps } from '../deps.ts'
import { TenantScope, requireAdmin } from './caller.ts'
import { ApiError } from './errors.ts'
import { jsonSchema, name, parse } from './validate.ts'

/**
 * The dashboard's admin calls, relayed to the gateway's admin API (docs/ui.md › Admin). Everything
 * under /api/admin needs the admin token here, before anything reaches the gateway; a tenant read
 * key gets 403 and never gets near it. `/api/keys` is the read-only view of a caller's own keys.
 */
export function registerAdmin(app: FastifyInstance, deps: CollectorDeps): void {
  const relay = async (req: FastifyRequest, reply: FastifyReply, method: 'GET' | 'POST' | 'PUT', path: string) => {
    requireAdmin(req, 'the admin API')
    const q = new URLSearchParams()
    for (const [k, v] of Object.entries((req.query ?? {}) as Record<string, unknown>))
      if (typeof v === 'string') q.set(k, v)
    const body = method === 'GET' ? undefined : withAuthor(req.body)
    const r = await deps.gateway.call(method, `${path}${q.size ? `?${q}` : ''}`, body)
    // The gateway refusing the collector's own token is a setup problem, not the caller's sign-in.
    if (r.status === 401 || r.status === 403)
      throw new ApiError(
        502,
        'the gateway refused the admin token the collector uses: both must run with the same LOOPGATE_ADMIN_TOKEN',
      )
    return reply.code(r.status).send(r.body)
  }
  const seg = (v: unknown) => encodeURIComponent(String(v))
  const params = (req: FastifyRequest) => req.params as Record<string, string>
  const admin = { tags: ['admin'] }

  app.get(
    '/admin/keys',
    {
      schema: {
        ...admin,
        summary: 'Every virtual key (config-declared and runtime) with its limits and spend; admin only',
      },
    },
    (req, reply) => relay(req, reply, 'GET', '/admin/keys'),
  )
  app.get(
    '/admin/keys/audit',
    { schema: { ...admin, summary: 'Audit trail of key and limit changes, newest first; admin only' } },
    (req, reply) => relay(req, reply, 'GET', '/admin/keys/audit'),
  )
  app.post(
    '/admin/tenants/:tenant/keys',
    { schema: { ...admin, summary: 'Create a virtual key; the secret is in this answer only; admin only' } },
    (req, reply) => relay(req, reply, 'POST', `/admin/tenants/${seg(params(req).tenant)}/keys`),
  )
  app.post(
    '/admin/tenants/:tenant/keys/:key/revoke',
    { schema: { ...admin, summary: 'Revoke a virtual key; admin only' } },
    (req, reply) =>
      relay(req, reply, 'POST', `/admin/tenants/${seg(params(req).tenant)}/keys/${seg(params(req).key)}/revoke`),
  )
  app.put(
    '/admin/tenants/:tenant/keys/:key/limits',
    { schema: { ...admin, summary: "Set a key's runtime budgets and rate limits; admin only" } },
    (req, reply) =>
      relay(req, reply, 'PUT', `/admin/tenants/${seg(params(req).tenant)}/keys/${seg(params(req).key)}/limits`),
  )
  app.put(
    '/admin/tenants/:tenant/limits',
    { schema: { ...admin, summary: "Set a tenant's runtime budgets and rate limits; admin only" } },
    (req, reply) => relay(req, reply, 'PUT', `/admin/tenants/${seg(params(req).tenant)}/limits`),
  )
  app.get(
    '/admin/routing',
    { schema: { ...admin, summary: "The gateway's live routing table; admin only" } },
    (req, reply) => relay(req, reply, 'GET', '/admin/routing'),
  )
  app.put(
    '/admin/routing',
    { schema: { ...admin, summary: 'Replace the routing table (targets and weights) with a reason; admin only' } },
    (req, reply) => relay(req, reply, 'PUT', '/admin/routing'),
  )
  app.get(
    '/admin/routing/audit',
    { schema: { ...admin, summary: 'Audit trail of routing table versions, newest first; admin only' } },
    (req, reply) => relay(req, reply, 'GET', '/admin/routing/audit'),
  )

  const keysQuery = z.object({ tenant: name().optional() })
  app.get(
    '/keys',
    {
      schema: {
        tags: ['admin'],
        summary: "The caller's own virtual keys with their limits and spend (read-only; admin: every tenant's)",
        querystring: jsonSchema(keysQuery),
      },
    },
    async (req): Promise<TenantKeyList> => {
      const q = parse(keysQuery, req.query, 'query')
      const scope = TenantScope.of(req, q.tenant)
      const r = await deps.gateway.call(
        'GET',
        `/admin/keys${scope.tenant === null ? '' : `?tenant=${encodeURIComponent(scope.tenant)}`}`,
      )
      if (r.status !== 200) throw new ApiError(502, `the gateway answered HTTP ${r.status} for the key list`)
      const list = r.body as AdminKeyList
      return {
        keys: list.keys.map(({ id, tenant, name: keyName, createdAt, revokedAt, limits, spend }) => ({
          id,
          tenant,
          name: keyName,
          createdAt,
          revokedAt,
          limits,
          spend,
        })),
        tenants: list.tenants.map(({ tenant, limits, spend }) => ({ tenant, limits, spend })),
      }
    },
  )
}

/** Changes made from the dashboard say so when the caller names no author. */
function withAuthor(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return body
  const b = body as Record<string, unknown>
  return b.author === undefined || b.author === '' ? { ...b, author: 'dashboard (admin token)' } : b
}

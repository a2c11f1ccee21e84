import type { FastifyInstance } from 'fastify'
import type { CollectorDeps } from '../deps.ts'
import { callerOf } from './caller.ts'
import { select } from './sql.ts'
import type { TenantList } from './types.ts'

/** Tenant ids the caller may see: every tenant in the data for the admin, only itself for a tenant key. */
export function registerTenants(app: FastifyInstance, deps: CollectorDeps): void {
  const { store } = deps
  app.get('/tenants', { schema: { summary: 'Tenants visible to the caller', tags: ['tenants'] } }, async (req): Promise<TenantList> => {
    const caller = callerOf(req)
    if (caller.kind === 'tenant') return { tenants: [caller.tenantId], admin: false }
    const rows = await select<{ tenant_id: string }>(
      store,
      `SELECT DISTINCT tenant_id FROM ${store.table('trace_index')} WHERE tenant_id != '' ORDER BY tenant_id`,
    )
    return { tenants: rows.map((r) => r.tenant_id), admin: true }
  })
}

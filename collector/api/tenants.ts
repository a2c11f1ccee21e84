import type { FastifyInstance } from 'fastify'
import type { CollectorDeps } from '../deps.ts'
import { tenantsWithData } from '../queries/tenants.ts'
import { callerOf } from './caller.ts'
import type { TenantList } from './types.ts'

/** Tenant ids the caller may see: every tenant in the data for the admin, only itself for a tenant key. */
export function registerTenants(app: FastifyInstance, deps: CollectorDeps): void {
  app.get(
    '/tenants',
    { schema: { summary: 'Tenants visible to the caller', tags: ['tenants'] } },
    async (req): Promise<TenantList> => {
      const caller = callerOf(req)
      if (caller.kind === 'tenant') return { tenants: [caller.tenantId], admin: false }
      return { tenants: await tenantsWithData(deps.store), admin: true }
    },
  )
}

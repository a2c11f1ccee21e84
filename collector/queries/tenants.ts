// Tenants that have data.
import type { Store } from '../storage/store.ts'
import { runQuery } from './run.ts'

/** Every tenant id with a stored trace, sorted. */
export async function tenantsWithData(store: Store): Promise<string[]> {
  const rows = await runQuery<{ tenant_id: string }>(
    store,
    'tenants.list',
    `SELECT DISTINCT tenant_id FROM ${store.table('trace_index')} WHERE tenant_id != '' ORDER BY tenant_id`,
  )
  return rows.map((r) => r.tenant_id)
}

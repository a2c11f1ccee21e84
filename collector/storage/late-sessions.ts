import type { LateSession } from '../normalize/index.ts'
import type { Store } from './store.ts'
import { sessionsView } from './tables.ts'

/**
 * Credits a session with the spans of its trace that were stored before the session was known
 * (children usually end, and are exported, before the root span that names the session). It runs
 * the sessions view's own SELECT over those spans, so the rollup cannot drift from the view.
 */
export async function creditLateSessions(store: Store, late: LateSession[]): Promise<void> {
  for (const s of late) {
    // The filter sits in an inner query: ClickHouse lets WHERE see SELECT aliases, and REPLACE aliases session_id.
    const orphans = `(SELECT * REPLACE ({session:String} AS session_id, if(user_id = '', {user:String}, user_id) AS user_id)
      FROM (SELECT * FROM ${store.table('spans')} WHERE tenant_id = {tenant:String} AND TraceId = {trace:String} AND session_id = ''))`
    await store.client.command({
      query: `INSERT INTO ${store.table(sessionsView.to)} ${sessionsView.select.replace('{from}', orphans)}`,
      query_params: { session: s.sessionId, user: s.userId, tenant: s.tenantId, trace: s.traceId },
    })
  }
}

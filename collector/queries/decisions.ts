// Routing decisions: every weight change with its inputs and reasons.
import type { Store } from '../storage/store.ts'
import { runInsert, runQuery, type Params } from './run.ts'

export interface DecisionRowOut {
  decision_id: string
  created_ns: string
  route: string
  from_version: string
  to_version: string
  old_weights: Record<string, number>
  new_weights: Record<string, number>
  applied: number | string
  dry_run: number | string
  reason: string
  inputs: string
}

/** Rows in the routing_decisions table's columns (`created_at` in ns, `inputs` as JSON text). */
export function insertDecision(store: Store, row: object): Promise<void> {
  return runInsert(store, 'decisions.insert', 'routing_decisions', [row])
}

/** Newest first, one row per decision id (a re-posted decision is stored twice). */
export function listDecisions(
  store: Store,
  q: { fromNs: bigint; toNs: bigint; route?: string; limit: number },
): Promise<DecisionRowOut[]> {
  const params: Params = { from: q.fromNs.toString(), to: q.toNs.toString(), limit: q.limit }
  if (q.route !== undefined) params.route = q.route
  return runQuery<DecisionRowOut>(
    store,
    'decisions.list',
    `SELECT decision_id, toString(toUnixTimestamp64Nano(created_at)) AS created_ns, route, from_version, to_version,
        old_weights, new_weights, applied, dry_run, reason, inputs
     FROM ${store.table('routing_decisions')}
     WHERE created_at >= fromUnixTimestamp64Nano({from:Int64}) AND created_at <= fromUnixTimestamp64Nano({to:Int64})
       ${q.route === undefined ? '' : 'AND route = {route:String}'}
     ORDER BY created_at DESC, decision_id DESC
     LIMIT 1 BY decision_id
     LIMIT {limit:UInt32}`,
    params,
  )
}

// Reads of the sessions rollup (partial rows per session until merged, so always GROUP BY), and
// the late-session credit written at ingest.
import type { Store } from '../storage/store.ts'
import { sessionsView } from '../storage/tables.ts'
import { runCommand, runQuery, type Params, type TenantFilter } from './run.ts'

export interface SessionRowOut {
  tenant_id: string
  session_id: string
  s_user: string
  start_ns: string
  end_ns: string
  n_traces: number | string
  n_spans: number | string
  n_llm_calls: number | string
  n_errors: number | string
  n_input_tokens: number | string
  n_output_tokens: number | string
  cost: string
}

/** Which sessions a page shows: active in [fromNs, toNs], optionally by user or id/user substring, after a cursor. */
export interface SessionPageFilter {
  fromNs: bigint
  toNs: bigint
  user?: string
  /** Case-insensitive substring of the session id or the user id. */
  q?: string
  /** The last session of the previous page (newest first). */
  after?: { startNs: string; tenant: string; session: string }
  /** Page size + 1 (one more tells whether a next page exists). */
  limit: number
}

/**
 * `having` filters aggregated sessions (on the aliases of SESSION_AGGREGATES); `rowFilters` are
 * what a rollup row must pass for its session to pass `having` (see sessionPagePruned).
 */
function pageConditions(f: SessionPageFilter): { having: string[]; rowFilters: string[]; params: Params } {
  const having = ['s_end >= fromUnixTimestamp64Nano({from:Int64})', 's_start <= fromUnixTimestamp64Nano({to:Int64})']
  const rowFilters: string[] = []
  const params: Params = { from: f.fromNs.toString(), to: f.toNs.toString(), limit: f.limit }
  if (f.user !== undefined) {
    having.push('s_user = {user:String}')
    rowFilters.push('user_id = {user:String}') // s_user is the largest of the rows' user ids
    params.user = f.user
  }
  if (f.q !== undefined) {
    having.push(
      '(positionCaseInsensitive(session_id, {q:String}) > 0 OR positionCaseInsensitive(s_user, {q:String}) > 0)',
    )
    rowFilters.push(
      '(positionCaseInsensitive(session_id, {q:String}) > 0 OR positionCaseInsensitive(user_id, {q:String}) > 0)',
    )
    params.q = f.q
  }
  if (f.after !== undefined) {
    having.push(
      '(s_start, tenant_id, session_id) < (fromUnixTimestamp64Nano({c_start:Int64}), {c_tenant:String}, {c_session:String})',
    )
    Object.assign(params, { c_start: f.after.startNs, c_tenant: f.after.tenant, c_session: f.after.session })
  }
  return { having, rowFilters, params }
}

const SESSION_AGGREGATES = `max(user_id) AS s_user, min(start) AS s_start, max(\`end\`) AS s_end,
    toString(toUnixTimestamp64Nano(s_start)) AS start_ns, toString(toUnixTimestamp64Nano(s_end)) AS end_ns,
    uniqMerge(traces) AS n_traces, sum(spans) AS n_spans, sum(llm_calls) AS n_llm_calls, sum(errors) AS n_errors,
    sum(input_tokens) AS n_input_tokens, sum(output_tokens) AS n_output_tokens, toString(sum(cost_usd)) AS cost`
const NEWEST_FIRST = 'ORDER BY s_start DESC, tenant_id DESC, session_id DESC LIMIT {limit:UInt32}'

/** The newest sessions in scope passing the filter, aggregating every session in scope. */
export function sessionPage(store: Store, scope: TenantFilter, f: SessionPageFilter): Promise<SessionRowOut[]> {
  const c = pageConditions(f)
  return runQuery<SessionRowOut>(
    store,
    'sessions.list',
    `SELECT tenant_id, session_id, ${SESSION_AGGREGATES}
     FROM ${store.table('sessions')} WHERE ${scope.where()}
     GROUP BY tenant_id, session_id HAVING ${c.having.join(' AND ')} ${NEWEST_FIRST}`,
    { ...scope.params(), ...c.params },
  )
}

export type PrunedSessionRow = SessionRowOut & { threshold_ns: string; complete: number | string }

/**
 * The same page, aggregating only the sessions with a rollup row at or after a threshold: the
 * k-th newest row start at or before `bound` (ns) among rows passing the row filters. The caller
 * decides whether the answer is exact from `threshold_ns` and `complete` (see api/sessions.ts).
 */
export function sessionPagePruned(
  store: Store,
  scope: TenantFilter,
  f: SessionPageFilter,
  bound: bigint,
  k: number,
): Promise<PrunedSessionRow[]> {
  const c = pageConditions(f)
  const table = store.table('sessions')
  return runQuery<PrunedSessionRow>(
    store,
    'sessions.list_newest',
    `WITH (SELECT (min(start), count()) FROM (
             SELECT start FROM ${table} WHERE ${[scope.where(), 'start <= fromUnixTimestamp64Nano({bound:Int64})', ...c.rowFilters].join(' AND ')}
             ORDER BY start DESC LIMIT {k:UInt32})) AS threshold
     SELECT tenant_id, session_id, ${SESSION_AGGREGATES},
         toString(toUnixTimestamp64Nano(threshold.1)) AS threshold_ns, threshold.2 < {k:UInt32} AS complete
     FROM ${table}
     WHERE ${scope.where()} AND (tenant_id, session_id) IN (
       SELECT tenant_id, session_id FROM ${table} WHERE ${[scope.where(), 'start >= threshold.1', ...c.rowFilters].join(' AND ')})
     GROUP BY tenant_id, session_id HAVING ${c.having.join(' AND ')} ${NEWEST_FIRST}`,
    { ...scope.params(), ...c.params, bound: bound.toString(), k },
  )
}

export interface SessionBounds {
  n: number | string
  start_ns: string
  end_ns: string
  s_user: string
  tenants: string[]
}

/** One session's time range, user and the tenants that have a session of this id. */
export async function sessionBounds(
  store: Store,
  scope: TenantFilter,
  sessionId: string,
): Promise<SessionBounds | undefined> {
  const [row] = await runQuery<SessionBounds>(
    store,
    'sessions.bounds',
    `SELECT count() AS n, toString(toUnixTimestamp64Nano(min(start))) AS start_ns, toString(toUnixTimestamp64Nano(max(\`end\`))) AS end_ns, max(user_id) AS s_user,
       groupUniqArray(tenant_id) AS tenants
     FROM ${store.table('sessions')} WHERE ${scope.where()} AND session_id = {session:String}`,
    { ...scope.params(), session: sessionId },
  )
  return row
}

/** The traces with a span naming the session, within its time range. */
export function sessionTraceIds(
  store: Store,
  scope: TenantFilter,
  sessionId: string,
  b: { fromNs: string; toNs: string; max: number },
) {
  return runQuery<{ tenant_id: string; TraceId: string }>(
    store,
    'sessions.trace_ids',
    `SELECT DISTINCT tenant_id, TraceId FROM ${store.table('spans')}
     WHERE ${scope.where()} AND session_id = {session:String}
       AND Timestamp >= fromUnixTimestamp64Nano({from:Int64}) AND Timestamp <= fromUnixTimestamp64Nano({to:Int64})
     LIMIT {max:UInt32}`,
    { ...scope.params(), session: sessionId, from: b.fromNs, to: b.toNs, max: b.max },
  )
}

/** Session ids of these that exist for their tenant. */
export function knownSessions(store: Store, tenants: string[], sessionIds: string[]) {
  return runQuery<{ tenant_id: string; session_id: string }>(
    store,
    'sessions.known',
    `SELECT DISTINCT tenant_id, session_id FROM ${store.table('sessions')}
     WHERE tenant_id IN {tenants:Array(String)} AND session_id IN {ids:Array(String)}`,
    { tenants, ids: sessionIds },
  )
}

export interface LateSessionCredit {
  tenantId: string
  traceId: string
  sessionId: string
  userId: string
}

/**
 * Credits a session's rollup with the spans of its trace stored before the session was known,
 * through the sessions view's own SELECT, so the rollup cannot drift from the view.
 */
export function creditLateSession(store: Store, s: LateSessionCredit): Promise<void> {
  // The filter sits in an inner query: ClickHouse lets WHERE see SELECT aliases, and REPLACE aliases session_id.
  const orphans = `(SELECT * REPLACE ({session:String} AS session_id, if(user_id = '', {user:String}, user_id) AS user_id)
    FROM (SELECT * FROM ${store.table('spans')} WHERE tenant_id = {tenant:String} AND TraceId = {trace:String} AND session_id = ''))`
  return runCommand(
    store,
    'sessions.credit_late',
    `INSERT INTO ${store.table(sessionsView.to)} ${sessionsView.select.replace('{from}', orphans)}`,
    { session: s.sessionId, user: s.userId, tenant: s.tenantId, trace: s.traceId },
  )
}

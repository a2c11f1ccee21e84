import type { Store } from '../storage/store.ts'
import type { TenantScope } from './caller.ts'
import { num, select } from './sql.ts'
import type { Score, ScoreDataType, ScorePoster, ScoreSource, ScoreStatus, ScoreSummary } from './types.ts'

/**
 * Scores are append-only; the newest row per (tenant_id, score_id) wins. This subquery returns
 * one row per score with its newest fields in the tuple `latest`, so callers filter on
 * `latest.N` aliases without colliding with column names (ClickHouse resolves aliases in WHERE).
 * `where` filters the raw rows first (by identity columns, so index use survives).
 */
export function latestScoresSql(store: Store, where: string): string {
  return `SELECT tenant_id, score_id, max(created_at) AS created,
      argMax(tuple(trace_id, span_id, session_id, route, target, name, version, source, data_type, value, label, reason, status, posted_by, comment, author, author_name), created_at) AS latest
    FROM (SELECT * FROM ${store.table('scores')} WHERE ${where})
    GROUP BY tenant_id, score_id`
}

export const latestScoreColumns = `tenant_id, score_id, toString(toUnixTimestamp64Nano(created)) AS created_ns,
  latest.1 AS trace_id, latest.2 AS span_id, latest.3 AS session_id, latest.4 AS route, latest.5 AS target,
  latest.6 AS name, latest.7 AS version, latest.8 AS source, latest.9 AS data_type, latest.10 AS value,
  latest.11 AS label, latest.12 AS reason, latest.13 AS status, latest.14 AS posted_by,
  latest.15 AS comment, latest.16 AS author, latest.17 AS author_name`

interface ScoreRowOut extends Omit<Score, 'created_at_ns' | 'value'> {
  created_ns: string
  value: number | string
}

export const toScore = (r: ScoreRowOut): Score => ({
  score_id: r.score_id,
  tenant_id: r.tenant_id,
  created_at_ns: r.created_ns,
  trace_id: r.trace_id,
  span_id: r.span_id,
  session_id: r.session_id,
  route: r.route,
  target: r.target,
  name: r.name,
  version: r.version,
  source: r.source as ScoreSource,
  data_type: r.data_type as ScoreDataType,
  value: Number(r.value),
  label: r.label,
  reason: r.reason,
  status: r.status as ScoreStatus,
  posted_by: r.posted_by as ScorePoster,
  comment: r.comment,
  author: r.author,
  author_name: r.author_name,
})

export interface ScoreFilter {
  trace_id?: string
  span_id?: string
  session_id?: string
  name?: string
  route?: string
  target?: string
  source?: string
  author?: string
  fromNs?: bigint
  toNs?: bigint
  limit: number
}

/** Newest first. Identity filters run on the raw rows; the time range on the newest version. */
export async function findScores(store: Store, scope: TenantScope, f: ScoreFilter): Promise<Score[]> {
  const raw: string[] = [scope.where()]
  const outer: string[] = ['1 = 1']
  const params: Record<string, unknown> = { ...scope.params(), limit: f.limit }
  for (const key of ['trace_id', 'span_id', 'session_id', 'name', 'route', 'target', 'source', 'author'] as const) {
    const v = f[key]
    if (v === undefined) continue
    raw.push(`${key} = {${key}:String}`)
    params[key] = v
  }
  if (f.fromNs !== undefined) {
    outer.push('created >= fromUnixTimestamp64Nano({from:Int64})')
    params.from = f.fromNs.toString()
  }
  if (f.toNs !== undefined) {
    outer.push('created <= fromUnixTimestamp64Nano({to:Int64})')
    params.to = f.toNs.toString()
  }
  const rows = await select<ScoreRowOut>(
    store,
    `SELECT ${latestScoreColumns} FROM (${latestScoresSql(store, raw.join(' AND '))})
     WHERE ${outer.join(' AND ')} ORDER BY created DESC, score_id LIMIT {limit:UInt32}`,
    params,
  )
  return rows.map(toScore)
}

const QUALITY_TYPES = new Set(['numeric', 'boolean'])

/** count, failed and per-name mean (numeric/boolean, status ok) of a set of scores. */
export function summarizeScores(scores: Iterable<Pick<Score, 'name' | 'data_type' | 'status' | 'value'>>): ScoreSummary {
  const summary: ScoreSummary = { count: 0, failed: 0, by_name: {} }
  const sums = new Map<string, { n: number; sum: number }>()
  for (const s of scores) {
    summary.count++
    if (s.status === 'failed') summary.failed++
    const entry = (summary.by_name[s.name] ??= { count: 0, mean: null })
    entry.count++
    if (s.status === 'ok' && QUALITY_TYPES.has(s.data_type)) {
      const acc = sums.get(s.name) ?? { n: 0, sum: 0 }
      acc.n++
      acc.sum += s.value
      sums.set(s.name, acc)
    }
  }
  for (const [name, acc] of sums) summary.by_name[name]!.mean = acc.sum / acc.n
  return summary
}

/** Score summaries for many sessions at once: key `${tenant}\u0000${session}`. */
export async function sessionScoreSummaries(store: Store, scope: TenantScope, sessionIds: string[]): Promise<Map<string, ScoreSummary>> {
  const out = new Map<string, ScoreSummary>()
  if (sessionIds.length === 0) return out
  // The newest version of each score (LIMIT BY plans faster than the argMax of latestScoresSql).
  const rows = await select<{ tenant_id: string; session_id: string; name: string; data_type: string; status: string; value: number | string }>(
    store,
    `SELECT tenant_id, session_id, name, data_type, status, value FROM ${store.table('scores')}
     WHERE ${scope.where()} AND session_id IN {sessions:Array(String)}
     ORDER BY created_at DESC LIMIT 1 BY tenant_id, score_id`,
    { ...scope.params(), sessions: sessionIds },
  )
  const grouped = new Map<string, Array<{ name: string; data_type: Score['data_type']; status: Score['status']; value: number }>>()
  for (const r of rows) {
    const key = `${r.tenant_id}\u0000${r.session_id}`
    const list = grouped.get(key) ?? []
    list.push({ name: r.name, data_type: r.data_type as Score['data_type'], status: r.status as Score['status'], value: num(r.value) })
    grouped.set(key, list)
  }
  for (const [key, list] of grouped) out.set(key, summarizeScores(list))
  return out
}

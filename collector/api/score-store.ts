import type { Store } from '../storage/store.ts'
import type { TenantScope } from './caller.ts'
import { findScoreRows, sessionScoreRows, type ScoreFilter, type ScoreRowOut } from '../queries/scores.ts'
import { num } from '../queries/run.ts'
import type { Score, ScoreDataType, ScorePoster, ScoreSource, ScoreStatus, ScoreSummary } from './types.ts'

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

/** Newest first. */
export async function findScores(store: Store, scope: TenantScope, f: ScoreFilter): Promise<Score[]> {
  return (await findScoreRows(store, scope, f)).map(toScore)
}

const QUALITY_TYPES = new Set(['numeric', 'boolean'])

/** count, failed and per-name mean (numeric/boolean, status ok) of a set of scores. */
export function summarizeScores(
  scores: Iterable<Pick<Score, 'name' | 'data_type' | 'status' | 'value'>>,
): ScoreSummary {
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
export async function sessionScoreSummaries(
  store: Store,
  scope: TenantScope,
  sessionIds: string[],
): Promise<Map<string, ScoreSummary>> {
  const out = new Map<string, ScoreSummary>()
  if (sessionIds.length === 0) return out
  const rows = await sessionScoreRows(store, scope, sessionIds)
  const grouped = new Map<
    string,
    Array<{ name: string; data_type: Score['data_type']; status: Score['status']; value: number }>
  >()
  for (const r of rows) {
    const key = `${r.tenant_id}\u0000${r.session_id}`
    const list = grouped.get(key) ?? []
    list.push({
      name: r.name,
      data_type: r.data_type as Score['data_type'],
      status: r.status as Score['status'],
      value: num(r.value),
    })
    grouped.set(key, list)
  }
  for (const [key, list] of grouped) out.set(key, summarizeScores(list))
  return out
}

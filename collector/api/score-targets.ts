import type { Store } from '../storage/store.ts'
import { ApiError } from './errors.ts'
import { select } from './sql.ts'
import type { Score } from './types.ts'

type ScoreRef = Pick<Score, 'tenant_id' | 'trace_id' | 'span_id' | 'session_id' | 'route' | 'target'>

const key = (...parts: string[]) => parts.join('\u0000')

/**
 * Checks that what the scores point at exists for their tenant (`verify`, for tenant keys) and
 * fills a missing session/route/target from the scored span, so feedback on a gateway span
 * counts in that route's quality. Mutates `scores`.
 */
export async function resolveScoreTargets(store: Store, scores: ScoreRef[], o: { verify: boolean }): Promise<void> {
  const withTrace = scores.filter((s) => s.trace_id)
  const needsSpans = withTrace.filter((s) => o.verify || !s.session_id || (s.span_id && (!s.route || !s.target)))
  const tenants = [...new Set(scores.map((s) => s.tenant_id))]

  if (needsSpans.length > 0) {
    const traceIds = [...new Set(needsSpans.map((s) => s.trace_id))]
    const windows = await select<{ tenant_id: string; TraceId: string; start_ns: string; end_ns: string }>(
      store,
      `SELECT tenant_id, TraceId, toString(toUnixTimestamp64Nano(min(Start))) AS start_ns, toString(toUnixTimestamp64Nano(max(End))) AS end_ns
       FROM ${store.table('trace_index')} WHERE tenant_id IN {tenants:Array(String)} AND TraceId IN {ids:Array(String)}
       GROUP BY tenant_id, TraceId`,
      { tenants, ids: traceIds },
    )
    const known = new Set(windows.map((w) => key(w.tenant_id, w.TraceId)))
    if (o.verify) {
      const missing = needsSpans.find((s) => !known.has(key(s.tenant_id, s.trace_id)))
      if (missing) throw new ApiError(404, `trace ${missing.trace_id} not found for tenant ${missing.tenant_id}`, 'trace_id')
    }
    if (windows.length > 0) {
      const from = windows.reduce((m, w) => (BigInt(w.start_ns) < m ? BigInt(w.start_ns) : m), BigInt(windows[0]!.start_ns))
      const to = windows.reduce((m, w) => (BigInt(w.end_ns) > m ? BigInt(w.end_ns) : m), BigInt(windows[0]!.end_ns))
      const spanIds = [...new Set(needsSpans.map((s) => s.span_id).filter(Boolean))]
      const rows = await select<{ tenant_id: string; TraceId: string; SpanId: string; session_id: string; route: string; target: string }>(
        store,
        `SELECT tenant_id, TraceId, SpanId, session_id, route, target FROM ${store.table('spans')}
         WHERE tenant_id IN {tenants:Array(String)} AND TraceId IN {ids:Array(String)}
           AND Timestamp >= fromUnixTimestamp64Nano({from:Int64}) AND Timestamp <= fromUnixTimestamp64Nano({to:Int64})
           AND (SpanId IN {spans:Array(String)} OR session_id != '')`,
        { tenants, ids: traceIds, spans: spanIds, from: from.toString(), to: to.toString() },
      )
      const spans = new Map(rows.map((r) => [key(r.tenant_id, r.TraceId, r.SpanId), r]))
      const traceSession = new Map(rows.filter((r) => r.session_id).map((r) => [key(r.tenant_id, r.TraceId), r.session_id]))
      for (const s of needsSpans) {
        const span = s.span_id ? spans.get(key(s.tenant_id, s.trace_id, s.span_id)) : undefined
        if (o.verify && s.span_id && !span) throw new ApiError(404, `span ${s.span_id} of trace ${s.trace_id} not found for tenant ${s.tenant_id}`, 'span_id')
        s.session_id ||= span?.session_id || traceSession.get(key(s.tenant_id, s.trace_id)) || ''
        s.route ||= span?.route ?? ''
        s.target ||= span?.target ?? ''
      }
    }
  }

  const sessionOnly = scores.filter((s) => !s.trace_id && s.session_id)
  if (o.verify && sessionOnly.length > 0) {
    const rows = await select<{ tenant_id: string; session_id: string }>(
      store,
      `SELECT DISTINCT tenant_id, session_id FROM ${store.table('sessions')}
       WHERE tenant_id IN {tenants:Array(String)} AND session_id IN {ids:Array(String)}`,
      { tenants, ids: [...new Set(sessionOnly.map((s) => s.session_id))] },
    )
    const known = new Set(rows.map((r) => key(r.tenant_id, r.session_id)))
    const missing = sessionOnly.find((s) => !known.has(key(s.tenant_id, s.session_id)))
    if (missing) throw new ApiError(404, `session ${missing.session_id} not found for tenant ${missing.tenant_id}`, 'session_id')
  }
}

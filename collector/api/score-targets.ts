import { knownSessions } from '../queries/sessions.ts'
import { scoredSpans, scoredTraceWindows } from '../queries/scores.ts'
import type { Store } from '../storage/store.ts'
import { ApiError } from './errors.ts'
import type { Score } from './types.ts'

type ScoreRef = Pick<Score, 'tenant_id' | 'trace_id' | 'span_id' | 'session_id' | 'route' | 'target'>

/** What the body said about route and target (checked, never stored), and its field prefix for errors. */
export interface ScoreClaim {
  route?: string
  target?: string
  field: string
}

const key = (...parts: string[]) => parts.join('\u0000')

/**
 * Binds each score to what it scores (DESIGN rule 9): the referenced trace, span or session must
 * exist for the score's tenant (404 otherwise, nothing of the batch is stored); route and target
 * are the scored span's ('' for trace and session scores), and a route/target in the body that
 * differs is refused; a missing session is filled from the span or its trace. Mutates `scores`.
 */
export async function bindScoreTargets(store: Store, scores: ScoreRef[], claims: ScoreClaim[]): Promise<void> {
  const withTrace = scores.filter((s) => s.trace_id)
  const tenants = [...new Set(scores.map((s) => s.tenant_id))]

  if (withTrace.length > 0) {
    const traceIds = [...new Set(withTrace.map((s) => s.trace_id))]
    const windows = await scoredTraceWindows(store, tenants, traceIds)
    const known = new Set(windows.map((w) => key(w.tenant_id, w.TraceId)))
    const missing = withTrace.find((s) => !known.has(key(s.tenant_id, s.trace_id)))
    if (missing)
      throw new ApiError(404, `trace ${missing.trace_id} not found for tenant ${missing.tenant_id}`, 'trace_id')
    const from = windows.reduce(
      (m, w) => (BigInt(w.start_ns) < m ? BigInt(w.start_ns) : m),
      BigInt(windows[0]!.start_ns),
    )
    const to = windows.reduce((m, w) => (BigInt(w.end_ns) > m ? BigInt(w.end_ns) : m), BigInt(windows[0]!.end_ns))
    const spanIds = [...new Set(withTrace.map((s) => s.span_id).filter(Boolean))]
    const rows = await scoredSpans(store, { tenants, traceIds, spanIds, fromNs: from.toString(), toNs: to.toString() })
    const spans = new Map(rows.map((r) => [key(r.tenant_id, r.TraceId, r.SpanId), r]))
    const traceSession = new Map(
      rows.filter((r) => r.session_id).map((r) => [key(r.tenant_id, r.TraceId), r.session_id]),
    )
    for (const s of withTrace) {
      const span = s.span_id ? spans.get(key(s.tenant_id, s.trace_id, s.span_id)) : undefined
      if (s.span_id && !span)
        throw new ApiError(
          404,
          `span ${s.span_id} of trace ${s.trace_id} not found for tenant ${s.tenant_id}`,
          'span_id',
        )
      s.session_id ||= span?.session_id || traceSession.get(key(s.tenant_id, s.trace_id)) || ''
      s.route = span?.route ?? ''
      s.target = span?.target ?? ''
    }
  }

  scores.forEach((s, i) => {
    const claim = claims[i]!
    for (const field of ['route', 'target'] as const) {
      const said = claim[field]
      if (said && said !== s[field]) {
        const actual = s[field] ? `'${s[field]}'` : 'none'
        throw new ApiError(
          400,
          `invalid body field "${claim.field}${field}": a score's ${field} is the scored span's (${actual}); omit it`,
          `${claim.field}${field}`,
        )
      }
    }
  })

  const sessionOnly = scores.filter((s) => !s.trace_id && s.session_id)
  if (sessionOnly.length > 0) {
    const rows = await knownSessions(store, tenants, [...new Set(sessionOnly.map((s) => s.session_id))])
    const known = new Set(rows.map((r) => key(r.tenant_id, r.session_id)))
    const missing = sessionOnly.find((s) => !known.has(key(s.tenant_id, s.session_id)))
    if (missing)
      throw new ApiError(404, `session ${missing.session_id} not found for tenant ${missing.tenant_id}`, 'session_id')
  }
}

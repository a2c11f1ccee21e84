import { USD_SCALE, formatScaled, usdUnits } from '../../lib/money.ts'
import type { Span, SpanBrief, TraceTotals } from './types.ts'

const byStart = (a: SpanBrief, b: SpanBrief) => {
  const d = BigInt(a.start_ns) - BigInt(b.start_ns)
  return d < 0n ? -1 : d > 0n ? 1 : a.span_id < b.span_id ? -1 : a.span_id > b.span_id ? 1 : 0
}

/** Drops repeated span ids (an exporter retry can store a span twice) and sorts by start. */
export function uniqueSpans<T extends SpanBrief>(spans: T[]): T[] {
  const seen = new Set<string>()
  const out: T[] = []
  for (const s of spans) {
    if (seen.has(s.span_id)) continue
    seen.add(s.span_id)
    out.push(s)
  }
  return out.sort(byStart)
}

/** Roots are spans without a parent or whose parent never arrived; children are ordered by start. */
export function buildTree(spans: Span[]): Span[] {
  const sorted = uniqueSpans(spans)
  const byId = new Map(sorted.map((s) => [s.span_id, s]))
  const roots: Span[] = []
  for (const s of sorted) {
    const parent = s.parent_span_id && s.parent_span_id !== s.span_id ? byId.get(s.parent_span_id) : undefined
    if (parent) parent.children.push(s)
    else roots.push(s)
  }
  return roots
}

export function totalsOf(spans: SpanBrief[]): TraceTotals {
  let cost = 0n
  let minStart: bigint | undefined
  let maxEnd: bigint | undefined
  const t: TraceTotals = {
    spans: 0,
    llm_calls: 0,
    errors: 0,
    duration_ms: 0,
    input_tokens: 0,
    output_tokens: 0,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    cost_usd: '0',
  }
  for (const s of spans) {
    t.spans++
    if (s.billable) t.llm_calls++ // one billable row per LLM call (docs/normalization.md)
    if (s.is_error) t.errors++
    if (s.billable) {
      t.input_tokens += s.input_tokens
      t.output_tokens += s.output_tokens
      t.cache_read_tokens += s.cache_read_tokens
      t.cache_write_tokens += s.cache_write_tokens
      cost += usdUnits(s.cost_usd)
    }
    const start = BigInt(s.start_ns)
    const end = BigInt(s.end_ns)
    if (minStart === undefined || start < minStart) minStart = start
    if (maxEnd === undefined || end > maxEnd) maxEnd = end
  }
  t.cost_usd = formatScaled(cost, USD_SCALE)
  t.duration_ms = minStart === undefined || maxEnd === undefined ? 0 : Number(maxEnd - minStart) / 1e6
  return t
}

export function spanRange(spans: SpanBrief[]): { start_ns: string; end_ns: string } {
  let start: bigint | undefined
  let end: bigint | undefined
  for (const s of spans) {
    const a = BigInt(s.start_ns)
    const b = BigInt(s.end_ns)
    if (start === undefined || a < start) start = a
    if (end === undefined || b > end) end = b
  }
  return { start_ns: (start ?? 0n).toString(), end_ns: (end ?? 0n).toString() }
}

/**
 * Session and user at read time. Rows are never rewritten, so spans stored before the span naming
 * their trace's session/user keep '' in their row; each span of a trace shows the trace's (from its
 * earliest span that carries one; spans are sorted by start), else `fallback` (the session's, for
 * a session's timeline). Mutates and returns `spans` (one trace, one tenant).
 */
export function withTraceSessionUser<T extends SpanBrief>(
  spans: T[],
  fallback: { session_id?: string; user_id?: string } = {},
): T[] {
  const session = spans.find((s) => s.session_id)?.session_id || fallback.session_id || ''
  const user = spans.find((s) => s.user_id)?.user_id || fallback.user_id || ''
  for (const s of spans) {
    s.session_id ||= session
    s.user_id ||= user
  }
  return spans
}

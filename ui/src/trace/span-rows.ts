import type { Span, SpanBrief } from '../api/client.ts'

export interface SpanRow<S> {
  span: S
  depth: number
  hasChildren: boolean
}

/** Depth-first rows of a trace tree, skipping the children of collapsed spans. */
export function flattenTree(roots: Span[], collapsed: ReadonlySet<string>): SpanRow<Span>[] {
  const rows: SpanRow<Span>[] = []
  // Iterative: a 2,000-span chain must not overflow the stack.
  const stack: { span: Span; depth: number }[] = roots.map((span) => ({ span, depth: 0 })).reverse()
  while (stack.length > 0) {
    const { span, depth } = stack.pop()!
    rows.push({ span, depth, hasChildren: span.children.length > 0 })
    if (collapsed.has(span.span_id)) continue
    for (let i = span.children.length - 1; i >= 0; i--) stack.push({ span: span.children[i]!, depth: depth + 1 })
  }
  return rows
}

/** Rows of flat spans (a session's traces): parents before children, siblings by start. */
export function rowsFromFlat(spans: SpanBrief[]): SpanRow<SpanBrief>[] {
  const ids = new Set(spans.map((s) => s.span_id))
  const children = new Map<string, SpanBrief[]>()
  const roots: SpanBrief[] = []
  for (const s of spans) {
    if (s.parent_span_id && ids.has(s.parent_span_id)) {
      const list = children.get(s.parent_span_id) ?? []
      list.push(s)
      children.set(s.parent_span_id, list)
    } else roots.push(s)
  }
  const rows: SpanRow<SpanBrief>[] = []
  const stack = roots.map((span) => ({ span, depth: 0 })).reverse()
  while (stack.length > 0) {
    const { span, depth } = stack.pop()!
    const kids = children.get(span.span_id) ?? []
    rows.push({ span, depth, hasChildren: kids.length > 0 })
    for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: depth + 1 })
  }
  return rows
}

/** Every span of a tree by id (for selection). */
export function indexTree(roots: Span[]): Map<string, Span> {
  const byId = new Map<string, Span>()
  const stack = [...roots]
  while (stack.length > 0) {
    const span = stack.pop()!
    byId.set(span.span_id, span)
    stack.push(...span.children)
  }
  return byId
}

/** Left offset and width (0–100 %) of a span on the trace's time axis. */
export function barGeometry(
  startNs: string,
  endNs: string,
  traceStartNs: string,
  traceEndNs: string,
): { left: number; width: number } {
  const total = Number(BigInt(traceEndNs) - BigInt(traceStartNs)) || 1
  const left = (Number(BigInt(startNs) - BigInt(traceStartNs)) / total) * 100
  const width = (Number(BigInt(endNs) - BigInt(startNs)) / total) * 100
  return { left: Math.max(0, Math.min(100, left)), width: Math.max(0.2, Math.min(100 - left, width)) }
}

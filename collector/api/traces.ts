import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { CollectorDeps } from '../deps.ts'
import { traceSpans, traceWindows, type TraceWindow } from '../queries/spans.ts'
import { TenantScope } from './caller.ts'
import { ambiguousTenant, notFound } from './errors.ts'
import { findScores } from './score-store.ts'
import { toSpan } from './span-columns.ts'
import { buildTree, spanRange, totalsOf, uniqueSpans, withTraceSessionUser } from './trace-tree.ts'
import type { Trace } from './types.ts'
import { jsonSchema, name, parse, traceId } from './validate.ts'

const params = z.object({ traceId })
const query = z.object({ tenant: name().optional() })

/** Spans in one trace at most; a larger trace is cut (and says so in the log). */
const MAX_SPANS = 100_000

/** The union of trace windows: the time range span reads cover. */
export function windowOf(windows: TraceWindow[], start?: bigint, end?: bigint): { fromNs: bigint; toNs: bigint } {
  let fromNs = start ?? BigInt(windows[0]!.start_ns)
  let toNs = end ?? BigInt(windows[0]!.end_ns)
  for (const w of windows) {
    if (BigInt(w.start_ns) < fromNs) fromNs = BigInt(w.start_ns)
    if (BigInt(w.end_ns) > toNs) toNs = BigInt(w.end_ns)
  }
  return { fromNs, toNs }
}

export async function loadTrace(deps: CollectorDeps, scope: TenantScope, id: string): Promise<Trace | undefined> {
  const { store } = deps
  const windows = await traceWindows(store, scope, [id])
  if (windows.length === 0) return undefined
  if (windows.length > 1)
    throw ambiguousTenant(
      `trace ${id}`,
      windows.map((w) => w.tenant_id),
    )
  const [rows, scores] = await Promise.all([
    traceSpans(
      store,
      scope,
      id,
      windows.map((w) => w.tenant_id),
      { ...windowOf(windows), max: MAX_SPANS },
    ),
    findScores(store, scope, { trace_id: id, limit: 10_000 }),
  ])
  if (rows.length === 0) return undefined
  if (rows.length === MAX_SPANS)
    deps.logger.warn({ traceId: id }, `trace has more than ${MAX_SPANS} spans; returning the first ones`)
  const spans = withTraceSessionUser(uniqueSpans(rows.map(toSpan)))
  const range = spanRange(spans)
  return {
    trace_id: id,
    tenant_id: spans[0]!.tenant_id,
    session_ids: [...new Set(spans.map((s) => s.session_id).filter(Boolean))],
    start_ns: range.start_ns,
    end_ns: range.end_ns,
    totals: totalsOf(spans),
    roots: buildTree(spans),
    scores,
  }
}

export function registerTraces(app: FastifyInstance, deps: CollectorDeps): void {
  app.get(
    '/traces/:traceId',
    {
      schema: {
        summary: 'One trace as a span tree, with totals and scores',
        tags: ['traces'],
        params: jsonSchema(params),
        querystring: jsonSchema(query),
      },
    },
    async (req) => {
      const { traceId: id } = parse(params, req.params, 'params')
      const q = parse(query, req.query, 'query')
      const trace = await loadTrace(deps, TenantScope.of(req, q.tenant), id)
      if (!trace) throw notFound(`trace ${id}`)
      return trace
    },
  )
}

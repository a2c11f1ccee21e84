import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { CollectorDeps } from '../deps.ts'
import type { Store } from '../storage/store.ts'
import { TenantScope } from './caller.ts'
import { ambiguousTenant, notFound } from './errors.ts'
import { findScores } from './score-store.ts'
import { spanColumnsFull, toSpan, type SpanRowOut } from './span-columns.ts'
import { select } from './sql.ts'
import { buildTree, spanRange, totalsOf, uniqueSpans } from './trace-tree.ts'
import type { Trace } from './types.ts'
import { jsonSchema, name, parse, traceId } from './validate.ts'

const params = z.object({ traceId })
const query = z.object({ tenant: name().optional() })

/** Spans in one trace at most; a larger trace is cut (and says so in the log). */
const MAX_SPANS = 100_000

/** The time window of trace ids (from trace_index), so span reads touch only those partitions. */
export async function traceWindows(store: Store, scope: TenantScope, traceIds: string[]) {
  return select<{ tenant_id: string; start_ns: string; end_ns: string }>(
    store,
    `SELECT tenant_id, toString(toUnixTimestamp64Nano(min(Start))) AS start_ns, toString(toUnixTimestamp64Nano(max(End))) AS end_ns
     FROM ${store.table('trace_index')} WHERE ${scope.where()} AND TraceId IN {ids:Array(String)} GROUP BY tenant_id`,
    { ...scope.params(), ids: traceIds },
  )
}

export async function loadTrace(deps: CollectorDeps, scope: TenantScope, id: string): Promise<Trace | undefined> {
  const { store } = deps
  const windows = await traceWindows(store, scope, [id])
  if (windows.length === 0) return undefined
  if (windows.length > 1) throw ambiguousTenant(`trace ${id}`, windows.map((w) => w.tenant_id))
  const from = windows.reduce((m, w) => (BigInt(w.start_ns) < m ? BigInt(w.start_ns) : m), BigInt(windows[0]!.start_ns))
  const to = windows.reduce((m, w) => (BigInt(w.end_ns) > m ? BigInt(w.end_ns) : m), BigInt(windows[0]!.end_ns))
  const [rows, scores] = await Promise.all([
    select<SpanRowOut>(
      store,
      `SELECT ${spanColumnsFull} FROM ${store.table('spans')}
       WHERE ${scope.where()} AND tenant_id IN {tenants:Array(String)} AND TraceId = {id:String}
         AND Timestamp >= fromUnixTimestamp64Nano({from:Int64}) AND Timestamp <= fromUnixTimestamp64Nano({to:Int64})
       ORDER BY Timestamp LIMIT {max:UInt32}`,
      { ...scope.params(), tenants: windows.map((w) => w.tenant_id), id, from: from.toString(), to: to.toString(), max: MAX_SPANS },
    ),
    findScores(store, scope, { trace_id: id, limit: 10_000 }),
  ])
  if (rows.length === 0) return undefined
  if (rows.length === MAX_SPANS) deps.logger.warn({ traceId: id }, `trace has more than ${MAX_SPANS} spans; returning the first ones`)
  const spans = uniqueSpans(rows.map(toSpan))
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

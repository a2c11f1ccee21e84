import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { CollectorDeps } from '../deps.ts'
import { num } from '../queries/run.ts'
import {
  sessionBounds,
  sessionPage,
  sessionPagePruned,
  sessionTraceIds,
  type SessionPageFilter,
  type SessionRowOut,
} from '../queries/sessions.ts'
import { spansOfTraces, traceWindows } from '../queries/spans.ts'
import { TenantScope } from './caller.ts'
import { ApiError, ambiguousTenant, notFound } from './errors.ts'
import { findScores, sessionScoreSummaries } from './score-store.ts'
import { toSpanBrief } from './span-columns.ts'
import { DAY_NS, timeRange } from './time.ts'
import { spanRange, totalsOf, uniqueSpans, withTraceSessionUser } from './trace-tree.ts'
import { windowOf } from './traces.ts'
import type { SessionDetail, SessionList, SessionSummary, SessionTrace, SpanBrief } from './types.ts'
import { jsonSchema, limit, name, parse, time } from './validate.ts'

const listQuery = z.object({
  from: time.optional(),
  to: time.optional(),
  tenant: name().optional(),
  user: name().optional(),
  q: z.string().min(1).max(256).optional().describe('case-insensitive substring of the session id or user id'),
  limit: limit(500, 50),
  cursor: z.string().max(2048).optional(),
})
const detailParams = z.object({ sessionId: name() })
const detailQuery = z.object({ tenant: name().optional() })

const MAX_TRACES = 5_000
const MAX_SPANS = 50_000

type Cursor = NonNullable<SessionPageFilter['after']>

const encodeCursor = (c: Cursor) => Buffer.from(JSON.stringify([c.startNs, c.tenant, c.session])).toString('base64url')

function decodeCursor(value: string): Cursor {
  try {
    const [start, tenant, session] = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as unknown[]
    if (
      typeof start === 'string' &&
      /^\d{1,19}$/.test(start) &&
      typeof tenant === 'string' &&
      typeof session === 'string'
    )
      return { startNs: start, tenant, session }
  } catch {
    // fall through to the 400
  }
  throw new ApiError(400, 'invalid query field "cursor": pass back the next_cursor of a previous page', 'cursor')
}

/**
 * A page of the newest sessions without aggregating every session in scope. The k-th newest
 * partial-row start (at or before the newest start the page may show) is a threshold, and only
 * sessions with a row at or after it are aggregated: any other session started before it. So the
 * page is exact when limit + 1 of those sessions started at or after the threshold, or when fewer
 * than k rows were under the bound (then every session that may qualify is among them). Both
 * steps count only rows that pass `rowFilters`: a session passes a user or text filter only if one
 * of its rows does, and a session whose newer rows all fail it started before its passing row.
 * Otherwise (many unmerged partial rows, a sparse range) undefined: aggregate the whole scope.
 */
async function newestSessions(
  deps: CollectorDeps,
  scope: TenantScope,
  filter: SessionPageFilter,
  bound: bigint,
  limit: number,
): Promise<SessionRowOut[] | undefined> {
  const rows = await sessionPagePruned(deps.store, scope, filter, bound, 4 * (limit + 1))
  const first = rows[0]
  if (!first) return undefined
  const last = rows[limit]
  const exact = num(first.complete) === 1 || (last !== undefined && BigInt(last.start_ns) >= BigInt(first.threshold_ns))
  return exact ? rows : undefined
}

/** Reads the `sessions` rollup, which may hold several partial rows per session until merged. */
async function listSessions(
  deps: CollectorDeps,
  scope: TenantScope,
  q: z.output<typeof listQuery>,
): Promise<SessionList> {
  const { store } = deps
  const range = timeRange(q, 7n * DAY_NS)
  const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor)
  const filter: SessionPageFilter = { ...range, user: q.user, q: q.q, after, limit: q.limit + 1 }
  const newestStart = after !== undefined && BigInt(after.startNs) < range.toNs ? BigInt(after.startNs) : range.toNs
  // A tenant's sessions are few enough to aggregate; all tenants' are not.
  const prune = scope.tenant === null
  const rows =
    (prune && (await newestSessions(deps, scope, filter, newestStart, q.limit))) ||
    (await sessionPage(store, scope, filter))
  const page = rows.slice(0, q.limit)
  const summaries = await sessionScoreSummaries(store, scope, [...new Set(page.map((r) => r.session_id))])
  const sessions: SessionSummary[] = page.map((r) => ({
    session_id: r.session_id,
    tenant_id: r.tenant_id,
    user_id: r.s_user,
    start_ns: r.start_ns,
    end_ns: r.end_ns,
    duration_ms: Number(BigInt(r.end_ns) - BigInt(r.start_ns)) / 1e6,
    traces: num(r.n_traces),
    spans: num(r.n_spans),
    llm_calls: num(r.n_llm_calls),
    errors: num(r.n_errors),
    input_tokens: num(r.n_input_tokens),
    output_tokens: num(r.n_output_tokens),
    cost_usd: r.cost,
    scores: summaries.get(`${r.tenant_id}\u0000${r.session_id}`) ?? { count: 0, failed: 0, by_name: {} },
  }))
  const last = page[page.length - 1]
  return {
    sessions,
    next_cursor:
      rows.length > q.limit && last
        ? encodeCursor({ startNs: last.start_ns, tenant: last.tenant_id, session: last.session_id })
        : null,
  }
}

/**
 * A session's traces in order, each with all its spans — also the spans that do not carry the
 * session id themselves (the session is propagated at read time: session → trace ids → spans).
 */
async function loadSession(
  deps: CollectorDeps,
  scope: TenantScope,
  sessionId: string,
): Promise<SessionDetail | undefined> {
  const { store } = deps
  const bounds = await sessionBounds(store, scope, sessionId)
  if (!bounds || num(bounds.n) === 0) return undefined
  if (bounds.tenants.length > 1) throw ambiguousTenant(`session ${sessionId}`, bounds.tenants)
  const traceRows = await sessionTraceIds(store, scope, sessionId, {
    fromNs: bounds.start_ns,
    toNs: bounds.end_ns,
    max: MAX_TRACES,
  })
  if (traceRows.length === 0) return undefined
  const traceIds = [...new Set(traceRows.map((r) => r.TraceId))]
  const tenantOfTrace = new Map(traceRows.map((r) => [`${r.tenant_id}\u0000${r.TraceId}`, true]))
  const windows = await traceWindows(store, scope, traceIds)
  const window = windowOf(windows, BigInt(bounds.start_ns), BigInt(bounds.end_ns))
  const [spanRows, scores] = await Promise.all([
    spansOfTraces(store, scope, traceIds, { ...window, max: MAX_SPANS }),
    findScores(store, scope, { session_id: sessionId, limit: 10_000 }),
  ])
  const byTrace = new Map<string, SpanBrief[]>()
  for (const row of spanRows) {
    if (!tenantOfTrace.has(`${row.tenant_id}\u0000${row.TraceId}`)) continue
    const list = byTrace.get(row.TraceId) ?? []
    list.push(toSpanBrief(row))
    byTrace.set(row.TraceId, list)
  }
  const traces: SessionTrace[] = [...byTrace.entries()].map(([id, raw]) => {
    const spans = withTraceSessionUser(uniqueSpans(raw), { session_id: sessionId, user_id: bounds.s_user })
    const ids = new Set(spans.map((s) => s.span_id))
    const root = spans.find((s) => !s.parent_span_id || !ids.has(s.parent_span_id))
    return { trace_id: id, ...spanRange(spans), name: root?.name ?? '', totals: totalsOf(spans), spans }
  })
  traces.sort((a, b) =>
    BigInt(a.start_ns) < BigInt(b.start_ns) ? -1 : BigInt(a.start_ns) > BigInt(b.start_ns) ? 1 : 0,
  )
  const all = traces.flatMap((t) => t.spans)
  return {
    session_id: sessionId,
    tenant_id: traceRows[0]!.tenant_id,
    user_id: bounds.s_user,
    ...spanRange(all),
    totals: totalsOf(all),
    traces,
    scores,
  }
}

export function registerSessions(app: FastifyInstance, deps: CollectorDeps): void {
  app.get(
    '/sessions',
    {
      schema: {
        summary: 'Sessions, newest first, with cursor pagination',
        tags: ['sessions'],
        querystring: jsonSchema(listQuery),
      },
    },
    async (req) => {
      const q = parse(listQuery, req.query, 'query')
      return listSessions(deps, TenantScope.of(req, q.tenant), q)
    },
  )
  app.get(
    '/sessions/:sessionId',
    {
      schema: {
        summary: 'One session: its traces in order, each with all its spans',
        tags: ['sessions'],
        params: jsonSchema(detailParams),
        querystring: jsonSchema(detailQuery),
      },
    },
    async (req) => {
      const { sessionId } = parse(detailParams, req.params, 'params')
      const q = parse(detailQuery, req.query, 'query')
      const session = await loadSession(deps, TenantScope.of(req, q.tenant), sessionId)
      if (!session) throw notFound(`session ${sessionId}`)
      return session
    },
  )
}

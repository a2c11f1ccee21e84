import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { CollectorDeps } from '../deps.ts'
import {
  latestSpanScores,
  listRequests,
  type Range,
  type RequestFilter,
  type RequestKey,
  type RequestRowOut,
} from '../queries/requests.ts'
import { num } from '../queries/run.ts'
import { TenantScope } from './caller.ts'
import { ApiError } from './errors.ts'
import { DAY_NS, timeRange } from './time.ts'
import type { RequestList, RequestRow, RequestScore, ScoreDataType, ScoreStatus } from './types.ts'
import { jsonSchema, limit, name, parse, spanId, time, traceId } from './validate.ts'

const MAX_VALUES = 50

/** A name filter: the parameter repeated (`model=a&model=b`), any of the values matches. */
const names = (what: string) =>
  z
    .union([name(), z.array(name()).max(MAX_VALUES)])
    .optional()
    .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]))
    .describe(`${what}; repeat the parameter for several (any matches)`)

const bound = (what: string) => z.coerce.number().finite().min(0).optional().describe(what)
const usd = z
  .string()
  .regex(/^\d{1,6}(\.\d{1,12})?$/, 'expected a decimal amount in USD such as 0.0015')
  .optional()

const listQuery = z
  .object({
    from: time.optional(),
    to: time.optional(),
    tenant: names('tenant id (a tenant key may name only its own)'),
    route: names('route'),
    model: names('model (the answering model, else the requested one)'),
    provider: names('provider'),
    status: z
      .union([z.enum(['ok', 'error']), z.array(z.enum(['ok', 'error'])).max(2)])
      .optional()
      .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v])),
    user: names('user id'),
    session: names('session id'),
    tag: names('tag'),
    latency_min: bound('latency ≥ this many ms'),
    latency_max: bound('latency ≤ this many ms'),
    ttft_min: bound('time to first token ≥ this many ms (only measured ones)'),
    ttft_max: bound('time to first token ≤ this many ms (only measured ones)'),
    cost_min: usd.describe('cost ≥ this exact USD amount'),
    cost_max: usd.describe('cost ≤ this exact USD amount'),
    tokens_min: z.coerce.number().int().min(0).optional().describe('input + output tokens ≥ this'),
    tokens_max: z.coerce.number().int().min(0).optional().describe('input + output tokens ≤ this'),
    score: name()
      .optional()
      .describe('a score name: only requests whose span has a score of that name (its newest one)'),
    score_min: z.coerce.number().finite().optional().describe('with score: its newest value ≥ this (status ok)'),
    score_max: z.coerce.number().finite().optional().describe('with score: its newest value ≤ this (status ok)'),
    q: z.string().min(1).max(256).optional().describe('case-insensitive substring of the input or output text'),
    limit: limit(500, 100),
    cursor: z.string().max(2048).optional(),
  })
  .strict()

type ListQuery = z.output<typeof listQuery>

const cursorShape = z.tuple([z.string().regex(/^\d{1,19}$/), spanId, traceId, name()])

const encodeCursor = (k: RequestKey) =>
  Buffer.from(JSON.stringify([k.startNs, k.spanId, k.traceId, k.tenantId])).toString('base64url')

function decodeCursor(value: string): RequestKey {
  try {
    const parsed = cursorShape.safeParse(JSON.parse(Buffer.from(value, 'base64url').toString('utf8')))
    if (parsed.success) {
      const [startNs, span, trace, tenantId] = parsed.data
      return { startNs, spanId: span, traceId: trace, tenantId }
    }
  } catch {
    // fall through to the 400
  }
  throw new ApiError(400, 'invalid query field "cursor": pass back the next_cursor of a previous page', 'cursor')
}

function ordered<T extends number | bigint | string>(
  field: string,
  r: Range<T>,
  compare: (a: T, b: T) => number,
): Range<T> {
  if (r.min !== undefined && r.max !== undefined && compare(r.min, r.max) > 0) {
    throw new ApiError(400, `invalid query field "${field}_min": must not be above ${field}_max`, `${field}_min`)
  }
  return r
}

const msToNs = (ms: number | undefined) => (ms === undefined ? undefined : BigInt(Math.round(ms * 1e6)))
const byNumber = (a: number | bigint, b: number | bigint) => (a < b ? -1 : a > b ? 1 : 0)
/** Compares decimal strings exactly (both match the `usd` pattern). */
const byDecimal = (a: string, b: string) => {
  const [ai = '', af = ''] = a.split('.')
  const [bi = '', bf = ''] = b.split('.')
  const pad = (i: string, f: string) => `${i.padStart(6, '0')}${f.padEnd(12, '0')}`
  return pad(ai, af) < pad(bi, bf) ? -1 : pad(ai, af) > pad(bi, bf) ? 1 : 0
}

/** The tenant scope: a tenant key sees only its own tenant and may name no other (403). */
function scopeOf(
  req: Parameters<typeof TenantScope.of>[0],
  tenants: string[],
): { scope: TenantScope; tenants: string[] } {
  if (tenants.length === 1) return { scope: TenantScope.of(req, tenants[0]), tenants: [] }
  const scope = TenantScope.of(req)
  if (scope.tenant !== null && tenants.some((t) => t !== scope.tenant))
    throw new ApiError(403, 'a tenant key may only read its own tenant', 'tenant')
  return { scope, tenants }
}

function toFilter(q: ListQuery, tenants: string[]): RequestFilter {
  if ((q.score_min !== undefined || q.score_max !== undefined) && q.score === undefined) {
    throw new ApiError(
      400,
      'invalid query field "score": score_min and score_max need the score name (score=<name>)',
      'score',
    )
  }
  const range = timeRange(q, 7n * DAY_NS)
  return {
    fromNs: range.fromNs,
    toNs: range.toNs,
    tenants,
    routes: q.route,
    models: q.model,
    providers: q.provider,
    statuses: q.status,
    users: q.user,
    sessions: q.session,
    tags: q.tag,
    latencyNs: ordered('latency', { min: msToNs(q.latency_min), max: msToNs(q.latency_max) }, byNumber),
    ttftNs: ordered('ttft', { min: msToNs(q.ttft_min), max: msToNs(q.ttft_max) }, byNumber),
    costUsd: ordered('cost', { min: q.cost_min, max: q.cost_max }, byDecimal),
    tokens: ordered('tokens', { min: q.tokens_min, max: q.tokens_max }, byNumber),
    score:
      q.score === undefined
        ? undefined
        : { name: q.score, ...ordered('score', { min: q.score_min, max: q.score_max }, byNumber) },
    text: q.q,
    before: q.cursor === undefined ? undefined : decodeCursor(q.cursor),
    limit: q.limit + 1,
  }
}

function toRow(r: RequestRowOut, scores: RequestScore[]): RequestRow {
  const ttft = BigInt(r.ttft)
  return {
    trace_id: r.TraceId,
    span_id: r.SpanId,
    tenant_id: r.tenant_id,
    start_ns: r.start_ns,
    name: r.SpanName,
    route: r.route,
    target: r.target,
    provider: r.provider,
    model: r.model,
    status: num(r.is_error) === 1 ? 'error' : 'ok',
    status_message: r.StatusMessage,
    duration_ms: Number(BigInt(r.duration_ns)) / 1e6,
    ttft_ms: ttft > 0n ? Number(ttft) / 1e6 : null,
    input_tokens: num(r.input_tokens),
    output_tokens: num(r.output_tokens),
    cost_usd: r.cost,
    cost_source: r.cost_source,
    user_id: r.user_id,
    session_id: r.session_id,
    tags: r.tags,
    scores,
  }
}

const spanKey = (tenant: string, trace: string, span: string) => `${tenant}\u0000${trace}\u0000${span}`

async function list(deps: CollectorDeps, scope: TenantScope, q: ListQuery, tenants: string[]): Promise<RequestList> {
  const filter = toFilter(q, tenants)
  const rows = await listRequests(deps.store, scope, filter)
  const page = rows.slice(0, q.limit)
  const scoreRows = await latestSpanScores(
    deps.store,
    scope,
    page.map((r) => ({ traceId: r.TraceId, spanId: r.SpanId, startNs: r.start_ns })),
  )
  const scores = new Map<string, RequestScore[]>()
  for (const s of scoreRows) {
    const key = spanKey(s.tenant_id, s.trace_id, s.span_id)
    const entry: RequestScore = {
      name: s.name,
      value: num(s.value),
      label: s.label,
      data_type: s.data_type as ScoreDataType,
      status: s.status as ScoreStatus,
    }
    scores.set(key, [...(scores.get(key) ?? []), entry])
  }
  const last = page[page.length - 1]
  return {
    requests: page.map((r) =>
      toRow(
        r,
        (scores.get(spanKey(r.tenant_id, r.TraceId, r.SpanId)) ?? []).sort((a, b) => a.name.localeCompare(b.name)),
      ),
    ),
    next_cursor:
      rows.length > q.limit && last
        ? encodeCursor({ startNs: last.start_ns, spanId: last.SpanId, traceId: last.TraceId, tenantId: last.tenant_id })
        : null,
  }
}

export function registerRequests(app: FastifyInstance, deps: CollectorDeps): void {
  app.get(
    '/requests',
    {
      schema: {
        summary:
          'The request log: every LLM call (one row per gateway request or producer LLM span), newest first, with cursor pagination',
        tags: ['requests'],
        querystring: jsonSchema(listQuery),
      },
    },
    async (req) => {
      const q = parse(listQuery, req.query, 'query')
      const { scope, tenants } = scopeOf(req, q.tenant)
      return list(deps, scope, q, tenants)
    },
  )
}

import { TAG_ATTRIBUTES } from '../../lib/attributes.ts'
import type { Store } from '../storage/store.ts'
import { runQuery, type TenantFilter } from './run.ts'

// The request log: one row per LLM call, i.e. the call's `billable = 1` span (a gateway request
// or a producer's LLM span, never both for one call), newest first.

/** A range on a column; either end may be open. Bounds are already in the column's unit. */
export interface Range<T> {
  min?: T
  max?: T
}

export interface RequestFilter {
  fromNs: bigint
  toNs: bigint
  /** Several tenants (admin only; a tenant key's scope already pins its own). */
  tenants: string[]
  routes: string[]
  models: string[]
  providers: string[]
  /** 'ok' and/or 'error'; empty or both = either. */
  statuses: ('ok' | 'error')[]
  users: string[]
  sessions: string[]
  tags: string[]
  latencyNs: Range<bigint>
  ttftNs: Range<bigint>
  /** Exact decimal strings. */
  costUsd: Range<string>
  tokens: Range<number>
  score?: { name: string; min?: number; max?: number }
  text?: string
  /** Keyset: rows strictly older than this (Timestamp, SpanId, TraceId, tenant) in the page order. */
  before?: RequestKey
  limit: number
}

export interface RequestKey {
  startNs: string
  spanId: string
  traceId: string
  tenantId: string
}

export interface RequestRowOut {
  tenant_id: string
  TraceId: string
  SpanId: string
  SpanName: string
  start_ns: string
  duration_ns: string
  ttft: string
  route: string
  target: string
  provider: string
  model: string
  is_error: number | string
  StatusMessage: string
  input_tokens: number | string
  output_tokens: number | string
  cost: string
  cost_source: string
  user_id: string
  session_id: string
  tags: string[]
}

const MODEL = "if(response_model != '', response_model, request_model)"

/** A value of one tag attribute as a list: JSON array text, or comma-separated text. */
const tagList = (value: string) =>
  `if(startsWith(${value}, '['), JSONExtract(${value}, 'Array(String)'), arrayMap(t -> trimBoth(t), splitByChar(',', ${value})))`
const tagValue = `if(mapContains(SpanAttributes, k), SpanAttributes[k], ResourceAttributes[k])`
/** Every tag of a span from the attributes in lib's TAG_ATTRIBUTES (constant names, not user input). */
const TAGS = `arrayDistinct(arrayFilter(t -> t != '', arrayFlatten(arrayMap(k -> ${tagList(tagValue)}, [${TAG_ATTRIBUTES.map((a) => `'${a}'`).join(', ')}]))))`

/** Columns of a row, for the page only (the filters read just the columns they need). */
const COLUMNS = `tenant_id, TraceId, SpanId, SpanName, toString(toUnixTimestamp64Nano(Timestamp)) AS start_ns,
  toString(Duration) AS duration_ns, toString(ttft_ns) AS ttft, route, target, provider, ${MODEL} AS model,
  is_error, StatusMessage, input_tokens, output_tokens, toString(cost_usd) AS cost, cost_source, user_id, session_id, ${TAGS} AS tags`

/** Keyset order: newest first; ties broken by ids so a page boundary is exact. */
const ORDER = 'ORDER BY Timestamp DESC, SpanId DESC, TraceId DESC, tenant_id DESC'

/** The WHERE conditions (constant SQL) and their parameters for a filter, without the time window. */
function conditions(
  store: Store,
  scope: TenantFilter,
  f: RequestFilter,
): { where: string[]; params: Record<string, unknown> } {
  const where = ['billable = 1', scope.where()]
  const params: Record<string, unknown> = { ...scope.params() }
  const anyOf = (column: string, key: string, values: string[]) => {
    if (values.length === 0) return
    where.push(`${column} IN {${key}:Array(String)}`)
    params[key] = values
  }
  anyOf('tenant_id', 'tenants', f.tenants)
  anyOf('route', 'routes', f.routes)
  anyOf(MODEL, 'models', f.models)
  anyOf('provider', 'providers', f.providers)
  anyOf('user_id', 'users', f.users)
  anyOf('session_id', 'sessions', f.sessions)
  if (f.statuses.length === 1) where.push(f.statuses[0] === 'error' ? 'is_error = 1' : 'is_error = 0')
  if (f.tags.length > 0) {
    where.push(`hasAny(${TAGS}, {tags:Array(String)})`)
    params.tags = f.tags
  }
  const range = <T>(expr: string, key: string, type: string, r: Range<T>) => {
    if (r.min !== undefined) {
      where.push(`${expr} >= {${key}_min:${type}}`)
      params[`${key}_min`] = typeof r.min === 'bigint' ? r.min.toString() : r.min
    }
    if (r.max !== undefined) {
      where.push(`${expr} <= {${key}_max:${type}}`)
      params[`${key}_max`] = typeof r.max === 'bigint' ? r.max.toString() : r.max
    }
  }
  range('Duration', 'latency', 'UInt64', f.latencyNs)
  if (f.ttftNs.min !== undefined || f.ttftNs.max !== undefined) where.push('ttft_ns > 0') // 0 = not measured
  range('ttft_ns', 'ttft', 'UInt64', f.ttftNs)
  range('cost_usd', 'cost', 'Decimal(18, 12)', f.costUsd)
  range('(input_tokens + output_tokens)', 'tokens', 'UInt64', f.tokens)
  if (f.text !== undefined) {
    where.push(
      '(positionCaseInsensitiveUTF8(input_text, {text:String}) > 0 OR positionCaseInsensitiveUTF8(output_text, {text:String}) > 0)',
    )
    params.text = f.text
  }
  if (f.score) {
    // The span's newest score of that name; a value range counts only a score that ran ('ok').
    // A score is stored after the span it scores (the API refuses a score for a span it does not
    // have), so only scores from a day before the slice on are read (the day allows for producer
    // clocks running ahead of the collector's).
    const having = ["argMax(status, created_at) = 'ok'"]
    if (f.score.min !== undefined) having.push('argMax(value, created_at) >= {score_min:Float64}')
    if (f.score.max !== undefined) having.push('argMax(value, created_at) <= {score_max:Float64}')
    where.push(`(tenant_id, TraceId, SpanId) IN (
      SELECT tenant_id, trace_id, span_id FROM ${store.table('scores')}
      WHERE ${scope.where()} AND name = {score_name:String} AND span_id != ''
        AND created_at >= fromUnixTimestamp64Nano({score_since:Int64})
      GROUP BY tenant_id, trace_id, span_id
      ${f.score.min !== undefined || f.score.max !== undefined ? `HAVING ${having.join(' AND ')}` : ''})`)
    Object.assign(params, { score_name: f.score.name, score_min: f.score.min, score_max: f.score.max })
  }
  if (f.before) {
    where.push(
      '(Timestamp, SpanId, TraceId, tenant_id) < (fromUnixTimestamp64Nano({c_ts:Int64}), {c_span:String}, {c_trace:String}, {c_tenant:String})',
    )
    Object.assign(params, {
      c_ts: f.before.startNs,
      c_span: f.before.spanId,
      c_trace: f.before.traceId,
      c_tenant: f.before.tenantId,
    })
  }
  return { where, params }
}

const HOUR_NS = 3_600_000_000_000n
const DAY_NS = 24n * HOUR_NS

/**
 * The newest `limit` requests matching the filter. Spans are ordered by tenant, service and name
 * before time, so a newest-first read cannot stream in order; instead the newest hour of the range
 * is read first, then the slice before it (8× wider each time), until `limit` rows are found or the
 * range is covered. Every row of a slice is older than every row of the slices before it, so the
 * rows simply append. Partition pruning (one partition per day) keeps the first slice cheap.
 */
export async function listRequests(store: Store, scope: TenantFilter, f: RequestFilter): Promise<RequestRowOut[]> {
  const { where, params } = conditions(store, scope, f)
  const rows: RequestRowOut[] = []
  let upper = f.before && BigInt(f.before.startNs) < f.toNs ? BigInt(f.before.startNs) : f.toNs
  let newest = true
  for (let width = HOUR_NS; ; width *= 8n) {
    // After the first, slices start at a UTC day: a day is a partition, read whole by any slice
    // that touches it (its granules span the whole day), so aligned slices read each one once.
    const start = newest ? upper - width : ((upper - width) / DAY_NS) * DAY_NS
    const lower = start > f.fromNs ? start : f.fromNs
    const slice = await runQuery<RequestRowOut>(
      store,
      'requests.list',
      `SELECT ${COLUMNS} FROM ${store.table('spans')}
       WHERE Timestamp >= fromUnixTimestamp64Nano({from:Int64}) AND Timestamp ${newest ? '<=' : '<'} fromUnixTimestamp64Nano({to:Int64})
         AND ${where.join(' AND ')}
       ${ORDER} LIMIT {limit:UInt32}`,
      {
        ...params,
        from: lower.toString(),
        to: upper.toString(),
        limit: f.limit - rows.length,
        score_since: (lower - DAY_NS).toString(),
      },
    )
    rows.push(...slice)
    if (rows.length >= f.limit || lower === f.fromNs) return rows
    upper = lower
    newest = false
  }
}

export interface SpanScoreRowOut {
  tenant_id: string
  trace_id: string
  span_id: string
  name: string
  value: number | string
  label: string
  data_type: string
  status: string
}

/**
 * The newest score of each name on each of these spans (the newest row wins: it is the newest
 * version). Scores are stored after their span, so none older than a day before the oldest span is read.
 */
export async function latestSpanScores(
  store: Store,
  scope: TenantFilter,
  spans: { traceId: string; spanId: string; startNs: string }[],
): Promise<SpanScoreRowOut[]> {
  if (spans.length === 0) return []
  const oldest = spans.reduce((m, s) => (BigInt(s.startNs) < m ? BigInt(s.startNs) : m), BigInt(spans[0]!.startNs))
  return runQuery<SpanScoreRowOut>(
    store,
    'requests.scores',
    `SELECT tenant_id, trace_id, span_id, name, value, label, data_type, status FROM ${store.table('scores')}
     WHERE ${scope.where()} AND trace_id IN {traces:Array(String)} AND span_id IN {spans:Array(String)}
       AND created_at >= fromUnixTimestamp64Nano({since:Int64})
     ORDER BY created_at DESC LIMIT 1 BY tenant_id, trace_id, span_id, name`,
    {
      ...scope.params(),
      traces: [...new Set(spans.map((s) => s.traceId))],
      spans: [...new Set(spans.map((s) => s.spanId))],
      since: (oldest - DAY_NS).toString(),
    },
  )
}

/**
 * Wire types of the collector's query API (`/api/*`). Shared by the server, the typed client
 * (`collector/client.ts`), the evaluator, the optimizer and the UI, so this file imports nothing.
 *
 * Conventions: times are UTC nanoseconds since the epoch as decimal strings (`*_ns`);
 * money is an exact decimal string in USD (`cost_usd`, never a float); ids are lowercase hex.
 */

export type DecimalString = string
export type NanoString = string

/** Every 4xx/5xx body. `field` names the offending query/body field when there is one. */
export interface ApiErrorBody {
  error: { message: string; field?: string }
}

// ── traces ──────────────────────────────────────────────────────────────────

export interface SpanEvent {
  time_ns: NanoString
  name: string
  attributes: Record<string, string>
}

export interface SpanLink {
  trace_id: string
  span_id: string
  attributes: Record<string, string>
}

/** A span with its normalized columns; `children` is filled in trace trees, ordered by start. */
export interface Span {
  trace_id: string
  span_id: string
  parent_span_id: string
  name: string
  kind: string
  service_name: string
  scope_name: string
  start_ns: NanoString
  end_ns: NanoString
  duration_ms: number
  status_code: string
  status_message: string
  tenant_id: string
  session_id: string
  user_id: string
  operation: string
  span_type: string
  convention: string
  provider: string
  request_model: string
  response_model: string
  route: string
  target: string
  routing_version: string
  attempt: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_write_tokens: number
  cost_usd: DecimalString
  cost_source: string
  /** 'measured' (reported by the producer), 'estimated' (counted from the captured text; docs/normalization.md) or ''. */
  usage_source: string
  /** Time to first token in ms; null when not measured. */
  ttft_ms: number | null
  is_error: boolean
  billable: boolean
  finish_reason: string
  input_text: string
  output_text: string
  attributes: Record<string, string>
  resource_attributes: Record<string, string>
  events: SpanEvent[]
  links: SpanLink[]
  children: Span[]
}

/** Totals over billable spans (LLM calls, cost, tokens) and all spans (spans, errors, duration). */
export interface TraceTotals {
  spans: number
  /** One per LLM call: billable spans (never a gateway attempt child or a Vercel wrapper). */
  llm_calls: number
  errors: number
  duration_ms: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_write_tokens: number
  cost_usd: DecimalString
}

export interface Trace {
  trace_id: string
  tenant_id: string
  session_ids: string[]
  start_ns: NanoString
  end_ns: NanoString
  totals: TraceTotals
  /** Root spans (and spans whose parent was never received), each with its children. */
  roots: Span[]
  scores: Score[]
}

// ── sessions ────────────────────────────────────────────────────────────────

export interface ScoreNameSummary {
  count: number
  /** Mean over numeric and boolean scores of this name; null for categorical/comment ones. */
  mean: number | null
}

export interface ScoreSummary {
  count: number
  failed: number
  by_name: Record<string, ScoreNameSummary>
}

export interface SessionSummary {
  session_id: string
  tenant_id: string
  user_id: string
  start_ns: NanoString
  end_ns: NanoString
  duration_ms: number
  traces: number
  spans: number
  /** One per LLM call (billable spans), as trace totals and chargeback count them. */
  llm_calls: number
  errors: number
  input_tokens: number
  output_tokens: number
  cost_usd: DecimalString
  scores: ScoreSummary
}

export interface SessionList {
  sessions: SessionSummary[]
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null
}

export interface ListSessionsQuery {
  from?: string
  to?: string
  tenant?: string
  user?: string
  /** Case-insensitive substring of the session id or user id. */
  q?: string
  limit?: number
  cursor?: string
}

/** A span without its payload (attributes, events, text): enough for a timeline. */
export type SpanBrief = Omit<
  Span,
  'attributes' | 'resource_attributes' | 'events' | 'links' | 'children' | 'input_text' | 'output_text'
>

export interface SessionTrace {
  trace_id: string
  start_ns: NanoString
  end_ns: NanoString
  /** Name of the earliest root span. */
  name: string
  totals: TraceTotals
  /** Every span of the trace, ordered by start, including spans that do not carry the session id. */
  spans: SpanBrief[]
}

export interface SessionDetail {
  session_id: string
  tenant_id: string
  user_id: string
  start_ns: NanoString
  end_ns: NanoString
  totals: TraceTotals
  traces: SessionTrace[]
  scores: Score[]
}

// ── requests (the request log) ──────────────────────────────────────────────

/** The newest score of one name on a request's span. */
export interface RequestScore {
  name: string
  value: number
  label: string
  data_type: ScoreDataType
  status: ScoreStatus
}

/** One LLM call: a gateway request or a producer's LLM span (the `billable` row of the call). */
export interface RequestRow {
  trace_id: string
  span_id: string
  tenant_id: string
  start_ns: NanoString
  name: string
  route: string
  target: string
  provider: string
  /** The model that answered (`response_model`), else the one asked for. */
  model: string
  status: 'ok' | 'error'
  status_message: string
  duration_ms: number
  /** Time to first token in ms; null when not measured. */
  ttft_ms: number | null
  input_tokens: number
  output_tokens: number
  cost_usd: DecimalString
  cost_source: string
  user_id: string
  session_id: string
  tags: string[]
  scores: RequestScore[]
}

export interface RequestList {
  requests: RequestRow[]
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next_cursor: string | null
}

/** Name filters take several values (any of them matches); ranges are inclusive. */
export interface ListRequestsQuery {
  from?: string
  to?: string
  tenant?: string | string[]
  route?: string | string[]
  model?: string | string[]
  provider?: string | string[]
  status?: 'ok' | 'error' | ('ok' | 'error')[]
  user?: string | string[]
  session?: string | string[]
  tag?: string | string[]
  latency_min?: number
  latency_max?: number
  ttft_min?: number
  ttft_max?: number
  /** Exact decimal strings (USD). */
  cost_min?: string
  cost_max?: string
  /** Input + output tokens. */
  tokens_min?: number
  tokens_max?: number
  /** A score name: only requests whose newest score of that name exists (and lies in score_min..score_max). */
  score?: string
  score_min?: number
  score_max?: number
  /** Case-insensitive substring of the input or output text. */
  q?: string
  limit?: number
  cursor?: string
}

// ── chargeback ──────────────────────────────────────────────────────────────

export type ChargebackPeriod = 'hour' | 'day' | 'month'
export type ChargebackGroup = 'route' | 'model' | 'provider' | 'target'

export interface ChargebackQuery {
  from?: string
  to?: string
  period?: ChargebackPeriod
  group?: ChargebackGroup
  tenant?: string
}

export interface ChargebackUsage {
  /** LLM calls (billable spans), with or without usage. */
  requests: number
  errors: number
  input_tokens: number
  output_tokens: number
  cache_read_tokens: number
  cache_write_tokens: number
  cost_usd: DecimalString
  /** Requests the gateway answered from its response cache (counted in `requests`, charged 0). */
  cache_hits: number
  /** What those hits would have cost: the cost of the answers they replayed (exact decimal USD). */
  saved_usd: DecimalString
}

export interface ChargebackRow extends ChargebackUsage {
  tenant_id: string
  /** ISO 8601 UTC start of the hour/day/month. */
  period_start: string
  /** Value of the `group` dimension (route, model, provider or target name). */
  key: string
}

export interface Chargeback {
  from: string
  to: string
  period: ChargebackPeriod
  group: ChargebackGroup
  rows: ChargebackRow[]
  /** Exactly the sum of `rows`. */
  totals: ChargebackUsage
  /** Per tenant, exactly the sum of that tenant's rows. */
  tenant_totals: Record<string, ChargebackUsage>
}

// ── scores ──────────────────────────────────────────────────────────────────

export type ScoreSource = 'evaluator' | 'human' | 'api'
/** `comment` carries only text (in `reason`); it never counts towards quality. */
export type ScoreDataType = 'numeric' | 'boolean' | 'categorical' | 'comment'
export type ScoreStatus = 'ok' | 'failed'

export interface ScoreInput {
  /** Idempotency key; derived when absent (deterministic for evaluator scores, random otherwise). */
  score_id?: string
  /** Required for admin callers (the scored span must exist for it); forced to the caller's tenant for tenant keys. */
  tenant_id?: string
  trace_id?: string
  span_id?: string
  session_id?: string
  /** Taken from the scored span; when given it must equal the span's (400 otherwise). */
  route?: string
  /** Taken from the scored span; when given it must equal the span's (400 otherwise). */
  target?: string
  name: string
  version?: string
  source?: ScoreSource
  data_type?: ScoreDataType
  /** Number for numeric, true/false (or 1/0) for boolean. */
  value?: number | boolean
  label?: string
  reason?: string
  /** A human note (stored apart from `reason`, an evaluator's explanation). */
  comment?: string
  /** A display name for an annotation; shown beside `author`, never trusted for authority. */
  author_name?: string
  status?: ScoreStatus
}

export interface Score {
  score_id: string
  tenant_id: string
  created_at_ns: NanoString
  trace_id: string
  span_id: string
  session_id: string
  route: string
  target: string
  name: string
  version: string
  source: ScoreSource
  data_type: ScoreDataType
  value: number
  label: string
  reason: string
  status: ScoreStatus
  /** Who posted it: `admin` (admin token: evaluator, operators), `tenant` (a tenant's read key), '' (stored before this was recorded). */
  posted_by: ScorePoster
  /** A human note ('' for evaluator scores and scores stored before migration 7). */
  comment: string
  /** The key that posted it, set by the collector: `admin`, `<tenant>/sha256:<first 12 hex of the key's hash>`, or ''. */
  author: string
  /** The display name the poster gave (unverified; `author` is what identifies). */
  author_name: string
}

export type ScorePoster = 'admin' | 'tenant' | ''

export interface PostScoresResult {
  accepted: number
  scores: Score[]
}

export interface ListScoresQuery {
  trace_id?: string
  span_id?: string
  session_id?: string
  name?: string
  route?: string
  target?: string
  source?: ScoreSource
  author?: string
  tenant?: string
  from?: string
  to?: string
  limit?: number
}

export interface ScoreList {
  scores: Score[]
}

// ── route statistics ────────────────────────────────────────────────────────

/** Enough to form a posterior: Beta from successes/trials, Normal from mean/variance/count. */
export interface QualityAggregate {
  data_type: 'numeric' | 'boolean'
  count: number
  sum: number
  sum_sq: number
  mean: number
  /** Population variance (sum_sq/count − mean²); 0 for one sample. */
  variance: number
  /** Boolean scores: value ≥ 0.5. */
  successes: number
  trials: number
}

export interface RouteTargetStats {
  route: string
  target: string
  requests: number
  errors: number
  error_rate: number
  latency_ms: { p50: number; p95: number } | null
  ttft_ms: { p50: number; p95: number } | null
  cost_mean_usd: DecimalString
  cost_total_usd: DecimalString
  /** Mean of the chosen score (`score=`), or of all numeric/boolean scores when none is chosen. */
  quality_mean: number | null
  quality_count: number
  /** Per score name. */
  quality: Record<string, QualityAggregate>
}

export interface RouteStatsQuery {
  /** e.g. `30s`, `5m`, `1h`, `7d`; ignored when `from` is given. */
  window?: string
  from?: string
  to?: string
  route?: string
  tenant?: string
  score?: string
}

export interface RouteStats {
  from_ns: NanoString
  to_ns: NanoString
  score: string | null
  stats: RouteTargetStats[]
}

// ── routing decisions ───────────────────────────────────────────────────────

export interface RoutingDecisionInput {
  decision_id?: string
  /** Defaults to now; a replay with a simulated clock may set it. */
  created_at_ns?: NanoString
  route: string
  from_version?: string
  to_version?: string
  old_weights: Record<string, number>
  new_weights: Record<string, number>
  applied: boolean
  dry_run?: boolean
  reason: string
  /** Any JSON: the statistics, posteriors, objective and constraints that led to the decision. */
  inputs?: unknown
}

export interface RoutingDecision {
  decision_id: string
  created_at_ns: NanoString
  route: string
  from_version: string
  to_version: string
  old_weights: Record<string, number>
  new_weights: Record<string, number>
  applied: boolean
  dry_run: boolean
  reason: string
  inputs: unknown
}

export interface ListDecisionsQuery {
  route?: string
  from?: string
  to?: string
  limit?: number
}

export interface DecisionList {
  decisions: RoutingDecision[]
}

// ── tenants ─────────────────────────────────────────────────────────────────

export interface TenantList {
  tenants: string[]
  /** True for the admin token (may pass `tenant=` to any endpoint). */
  admin: boolean
}

// ── budgets ─────────────────────────────────────────────────────────────────

export type BudgetPeriod = 'day' | 'month'

/** One configured budget of a tenant and its spend in the current UTC day or month. */
export interface BudgetStatus {
  tenant_id: string
  period: BudgetPeriod
  limit_usd: DecimalString
  /** Billable cost the collector stored for the tenant since the period started. */
  spent_usd: DecimalString
  /** `limit_usd − spent_usd`, never below 0. */
  remaining_usd: DecimalString
  /** spent / limit (above 1 when a request crossed the limit; 1 for a zero limit). */
  used_ratio: number
  /** ISO 8601 UTC start of the next day or month. */
  resets_at: string
}

export interface BudgetList {
  budgets: BudgetStatus[]
}

// ── identity ────────────────────────────────────────────────────────────────

/** GET /api/me: the key a request was made with (no secret: `key_id` is a hash prefix). */
export interface Me {
  kind: 'admin' | 'tenant'
  tenant_id: string | null
  key_id: string
  /** False for a tenant's read-only key. */
  may_annotate: boolean
}

// ── failure clusters ────────────────────────────────────────────────────────

export interface ListFailureClustersQuery {
  from?: string
  to?: string
  tenant?: string
  name?: string
  route?: string
  buckets?: number
  limit?: number
}

export interface FailureExample {
  created_ns: NanoString
  trace_id: string
  span_id: string
  session_id: string
  route: string
  target: string
  value: number
  /** The exact reason of this case. */
  reason: string
}

/** Failing cases of one scorer whose reasons share a template. */
export interface FailureCluster {
  name: string
  /** The reason with numbers, ids, times and quoted values replaced by <n>, <id>, <time>, "<v>". */
  template: string
  count: number
  /** Of `count`, cases where the scorer itself failed (status `failed`). */
  scorer_failed: number
  /** Distinct exact reasons in the cluster. */
  reasons: number
  last_ns: NanoString
  /** Cases per bucket from `trend_start`, `bucket_seconds` apart. */
  trend: number[]
  /** Newest first. */
  examples: FailureExample[]
}

export interface FailureClusterList {
  bucket_seconds: number
  trend_start: string
  /** Failing cases in all clusters (also those beyond `limit`). */
  total: number
  clusters: FailureCluster[]
}

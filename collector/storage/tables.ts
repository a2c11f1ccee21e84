import { CACHE_HIT, CACHE_SAVED_USD } from '../../lib/attributes.ts'

/**
 * The ClickHouse schema as data. `ddl.ts` turns it into single-node or ON CLUSTER statements,
 * so both modes share one definition. Documented in docs/schema.md.
 */
export interface TableSpec {
  name: string
  columns: string[]
  indexes?: string[]
  /** Engine family without arguments: MergeTree, ReplacingMergeTree, AggregatingMergeTree. */
  engine: 'MergeTree' | 'ReplacingMergeTree' | 'AggregatingMergeTree'
  /** Engine arguments after the replication path (e.g. the version column). */
  engineArgs?: string
  orderBy: string
  partitionBy?: string
  /** Expression for the retention TTL; `{days}` is replaced by the configured retention. */
  ttl?: string
  /** Distributed sharding key in cluster mode. */
  shardBy: string
}

export interface ViewSpec {
  name: string
  to: string
  from: string
  select: string
}

const attrMap = 'Map(LowCardinality(String), String)'

export const spansTable: TableSpec = {
  name: 'spans',
  columns: [
    'Timestamp DateTime64(9) CODEC(Delta, ZSTD(1))',
    'TraceId String CODEC(ZSTD(1))',
    'SpanId String CODEC(ZSTD(1))',
    'ParentSpanId String CODEC(ZSTD(1))',
    'TraceState String CODEC(ZSTD(1))',
    'SpanName LowCardinality(String) CODEC(ZSTD(1))',
    'SpanKind LowCardinality(String) CODEC(ZSTD(1))',
    'ServiceName LowCardinality(String) CODEC(ZSTD(1))',
    `ResourceAttributes ${attrMap} CODEC(ZSTD(1))`,
    'ScopeName String CODEC(ZSTD(1))',
    'ScopeVersion String CODEC(ZSTD(1))',
    `SpanAttributes ${attrMap} CODEC(ZSTD(1))`,
    'Duration UInt64 CODEC(ZSTD(1))',
    'StatusCode LowCardinality(String) CODEC(ZSTD(1))',
    'StatusMessage String CODEC(ZSTD(1))',
    `Events Nested(Timestamp DateTime64(9), Name LowCardinality(String), Attributes ${attrMap}) CODEC(ZSTD(1))`,
    `Links Nested(TraceId String, SpanId String, TraceState String, Attributes ${attrMap}) CODEC(ZSTD(1))`,
    'tenant_id LowCardinality(String)',
    'session_id String CODEC(ZSTD(1))',
    'user_id String CODEC(ZSTD(1))',
    'operation LowCardinality(String)',
    'span_type LowCardinality(String)',
    'convention LowCardinality(String)',
    'provider LowCardinality(String)',
    'request_model LowCardinality(String)',
    'response_model LowCardinality(String)',
    'route LowCardinality(String)',
    'target LowCardinality(String)',
    'routing_version LowCardinality(String)',
    'attempt UInt16',
    'input_tokens UInt64',
    'output_tokens UInt64',
    'cache_read_tokens UInt64',
    'cache_write_tokens UInt64',
    'cost_usd Decimal(18, 12)',
    'cost_source LowCardinality(String)',
    'usage_source LowCardinality(String)',
    'ttft_ns UInt64',
    'is_error UInt8',
    'billable UInt8',
    'finish_reason LowCardinality(String)',
    'input_text String CODEC(ZSTD(3))',
    'output_text String CODEC(ZSTD(3))',
    'ingested_at DateTime64(9) DEFAULT now64(9)',
  ],
  indexes: [
    'INDEX idx_trace_id TraceId TYPE bloom_filter(0.001) GRANULARITY 1',
    'INDEX idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1',
    'INDEX idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 1',
    'INDEX idx_res_attr_key mapKeys(ResourceAttributes) TYPE bloom_filter(0.01) GRANULARITY 1',
    'INDEX idx_span_attr_key mapKeys(SpanAttributes) TYPE bloom_filter(0.01) GRANULARITY 1',
    'INDEX idx_duration Duration TYPE minmax GRANULARITY 1',
    // The collector reads the ids stored in the last minutes at start (ingest deduplication).
    'INDEX idx_ingested_at ingested_at TYPE minmax GRANULARITY 1',
  ],
  engine: 'MergeTree',
  partitionBy: 'toDate(Timestamp)',
  orderBy: '(tenant_id, ServiceName, SpanName, toDateTime(Timestamp))',
  ttl: 'toDateTime(Timestamp) + INTERVAL {days} DAY',
  shardBy: 'cityHash64(TraceId)',
}

/** trace id → time range, so a trace lookup reads only the parts of its time window. */
export const traceIndexTable: TableSpec = {
  name: 'trace_index',
  columns: [
    'tenant_id LowCardinality(String)',
    'TraceId String CODEC(ZSTD(1))',
    'Start DateTime64(9) CODEC(Delta, ZSTD(1))',
    'End DateTime64(9) CODEC(Delta, ZSTD(1))',
  ],
  indexes: ['INDEX idx_trace_id TraceId TYPE bloom_filter(0.01) GRANULARITY 1'],
  engine: 'MergeTree',
  partitionBy: 'toDate(Start)',
  orderBy: '(tenant_id, TraceId, Start)',
  ttl: 'toDateTime(Start) + INTERVAL {days} DAY',
  shardBy: 'cityHash64(TraceId)',
}

export const traceIndexView: ViewSpec = {
  name: 'trace_index_mv',
  to: 'trace_index',
  from: 'spans',
  select: `SELECT tenant_id, TraceId, min(Timestamp) AS Start, max(Timestamp) AS End
    FROM {from} WHERE TraceId != '' GROUP BY tenant_id, TraceId`,
}

/** One row per session, merged in the background; read with the -Merge combinators. */
export const sessionsTable: TableSpec = {
  name: 'sessions',
  columns: [
    'tenant_id LowCardinality(String)',
    'session_id String',
    'user_id SimpleAggregateFunction(max, String)',
    'start SimpleAggregateFunction(min, DateTime64(9))',
    'end SimpleAggregateFunction(max, DateTime64(9))',
    'traces AggregateFunction(uniq, String)',
    'spans SimpleAggregateFunction(sum, UInt64)',
    'llm_calls SimpleAggregateFunction(sum, UInt64)',
    'errors SimpleAggregateFunction(sum, UInt64)',
    'input_tokens SimpleAggregateFunction(sum, UInt64)',
    'output_tokens SimpleAggregateFunction(sum, UInt64)',
    'cost_usd SimpleAggregateFunction(sum, Decimal(38, 12))',
  ],
  indexes: ['INDEX idx_user_id user_id TYPE bloom_filter(0.01) GRANULARITY 1'],
  engine: 'AggregatingMergeTree',
  orderBy: '(tenant_id, session_id)',
  ttl: 'toDateTime(end) + INTERVAL {days} DAY',
  shardBy: 'cityHash64(session_id)',
}

export const sessionsView: ViewSpec = {
  name: 'sessions_mv',
  to: 'sessions',
  from: 'spans',
  select: `SELECT tenant_id, session_id,
      max(user_id) AS user_id,
      min(Timestamp) AS start,
      max(Timestamp + toIntervalNanosecond(Duration)) AS end,
      uniqState(TraceId) AS traces,
      toUInt64(count()) AS spans,
      toUInt64(sum(billable)) AS llm_calls,
      toUInt64(sum(is_error)) AS errors,
      sum(input_tokens * billable) AS input_tokens,
      sum(output_tokens * billable) AS output_tokens,
      toDecimal128(sum(cost_usd * billable), 12) AS cost_usd
    FROM {from} WHERE session_id != '' GROUP BY tenant_id, session_id`,
}

/** A gateway request answered from its route's response cache: CACHE_HIT on a span of the gateway's trusted ingest (only those have a route). */
const CACHE_HIT_SQL = `route != '' AND SpanAttributes['${CACHE_HIT}'] = 'true'`

export const CACHE_ROLLUP_COLUMNS = [
  'cache_hits SimpleAggregateFunction(sum, UInt64)',
  'saved_usd SimpleAggregateFunction(sum, Decimal(38, 12))',
]

/** Hourly rollup for chargeback and route statistics: tenant × hour × route × target × model. */
export const usageHourlyTable: TableSpec = {
  name: 'usage_hourly',
  columns: [
    'tenant_id LowCardinality(String)',
    'hour DateTime',
    'route LowCardinality(String)',
    'target LowCardinality(String)',
    'provider LowCardinality(String)',
    'model LowCardinality(String)',
    'requests SimpleAggregateFunction(sum, UInt64)',
    'errors SimpleAggregateFunction(sum, UInt64)',
    'input_tokens SimpleAggregateFunction(sum, UInt64)',
    'output_tokens SimpleAggregateFunction(sum, UInt64)',
    'cache_read_tokens SimpleAggregateFunction(sum, UInt64)',
    'cache_write_tokens SimpleAggregateFunction(sum, UInt64)',
    'cost_usd SimpleAggregateFunction(sum, Decimal(38, 12))',
    'duration_ms AggregateFunction(quantilesTDigest(0.5, 0.95), Float64)',
    // Gateway response-cache hits among the requests, and the cost they saved (migration 6).
    ...CACHE_ROLLUP_COLUMNS,
  ],
  engine: 'AggregatingMergeTree',
  partitionBy: 'toYYYYMM(hour)',
  orderBy: '(tenant_id, hour, route, target, provider, model)',
  ttl: 'hour + INTERVAL {days} DAY',
  shardBy: 'cityHash64(tenant_id)',
}

export const usageHourlyView: ViewSpec = {
  name: 'usage_hourly_mv',
  to: 'usage_hourly',
  from: 'spans',
  select: `SELECT tenant_id, toStartOfHour(Timestamp) AS hour, route, target, provider,
      if(response_model != '', response_model, request_model) AS model,
      toUInt64(count()) AS requests,
      toUInt64(sum(is_error)) AS errors,
      sum(input_tokens) AS input_tokens,
      sum(output_tokens) AS output_tokens,
      sum(cache_read_tokens) AS cache_read_tokens,
      sum(cache_write_tokens) AS cache_write_tokens,
      toDecimal128(sum(cost_usd), 12) AS cost_usd,
      quantilesTDigestState(0.5, 0.95)(Duration / 1e6) AS duration_ms,
      toUInt64(countIf(${CACHE_HIT_SQL})) AS cache_hits,
      sumIf(toDecimal128OrZero(SpanAttributes['${CACHE_SAVED_USD}'], 12), ${CACHE_HIT_SQL}) AS saved_usd
    FROM {from} WHERE billable = 1 GROUP BY tenant_id, hour, route, target, provider, model`,
}

/** usage_hourly rolled up per UTC day (an MV on the hourly table), so month-long chargeback reads ~24× fewer rows. */
export const usageDailyTable: TableSpec = {
  ...usageHourlyTable,
  name: 'usage_daily',
  columns: usageHourlyTable.columns.map((c) => (c.startsWith('hour ') ? 'day Date' : c)),
  partitionBy: 'toYYYYMM(day)',
  orderBy: '(tenant_id, day, route, target, provider, model)',
  ttl: 'day + INTERVAL {days} DAY',
}

export const usageDailyView: ViewSpec = {
  name: 'usage_daily_mv',
  to: 'usage_daily',
  from: 'usage_hourly',
  select: `SELECT tenant_id, toDate(toTimeZone(hour, 'UTC')) AS day, route, target, provider, model,
      sum(requests) AS requests,
      sum(errors) AS errors,
      sum(input_tokens) AS input_tokens,
      sum(output_tokens) AS output_tokens,
      sum(cache_read_tokens) AS cache_read_tokens,
      sum(cache_write_tokens) AS cache_write_tokens,
      sum(cost_usd) AS cost_usd,
      quantilesTDigestMergeState(0.5, 0.95)(duration_ms) AS duration_ms,
      sum(cache_hits) AS cache_hits,
      sum(saved_usd) AS saved_usd
    FROM {from} GROUP BY tenant_id, day, route, target, provider, model`,
}

/** Append-only; the newest row per (tenant_id, score_id) wins at read time (argMax on created_at). */
export const scoresTable: TableSpec = {
  name: 'scores',
  columns: [
    'tenant_id LowCardinality(String)',
    'score_id String',
    'created_at DateTime64(9)',
    'trace_id String',
    'span_id String',
    'session_id String',
    'route LowCardinality(String)',
    'target LowCardinality(String)',
    'name LowCardinality(String)',
    'version LowCardinality(String)',
    'source LowCardinality(String)',
    'data_type LowCardinality(String)',
    'value Float64',
    'label String',
    'reason String',
    'status LowCardinality(String)',
    // Who posted it: 'admin' (the admin token: evaluator, operators) or 'tenant' (a read key); '' before migration 3.
    "posted_by LowCardinality(String) DEFAULT ''",
    // Human annotation (migration 7): the comment apart from an evaluator's reason; the key that posted
    // it (`admin` or `<tenant>/sha256:<12 hex>`, set by the collector, never by the body); a display name the client gave.
    "comment String DEFAULT ''",
    "author LowCardinality(String) DEFAULT ''",
    "author_name String DEFAULT ''",
  ],
  indexes: [
    'INDEX idx_trace_id trace_id TYPE bloom_filter(0.01) GRANULARITY 1',
    'INDEX idx_session_id session_id TYPE bloom_filter(0.01) GRANULARITY 1',
    'INDEX idx_span_id span_id TYPE bloom_filter(0.01) GRANULARITY 1',
  ],
  engine: 'ReplacingMergeTree',
  engineArgs: 'created_at',
  partitionBy: 'toYYYYMM(created_at)',
  orderBy: '(tenant_id, score_id)',
  ttl: 'toDateTime(created_at) + INTERVAL {days} DAY',
  shardBy: 'cityHash64(score_id)',
}

/** Every routing weight change, with its inputs and reasons. Kept for a year. */
export const routingDecisionsTable: TableSpec = {
  name: 'routing_decisions',
  columns: [
    'decision_id String',
    'created_at DateTime64(9)',
    'route LowCardinality(String)',
    'from_version String',
    'to_version String',
    'old_weights Map(String, Float64)',
    'new_weights Map(String, Float64)',
    'applied UInt8',
    'dry_run UInt8',
    'reason String',
    'inputs String CODEC(ZSTD(3))',
  ],
  engine: 'MergeTree',
  partitionBy: 'toYYYYMM(created_at)',
  orderBy: '(route, created_at)',
  ttl: 'toDateTime(created_at) + INTERVAL 365 DAY',
  shardBy: 'cityHash64(route)',
}

export const tables: TableSpec[] = [
  spansTable,
  traceIndexTable,
  sessionsTable,
  usageHourlyTable,
  usageDailyTable,
  scoresTable,
  routingDecisionsTable,
]
export const views: ViewSpec[] = [traceIndexView, sessionsView, usageHourlyView, usageDailyView]

import type { Store } from '../collector/storage/store.ts'

/**
 * Fills `spans` in-engine (INSERT … SELECT FROM numbers) with agent-like data: sessions of
 * 20 spans in 4 traces of 5, one LLM call per trace, across `tenants` tenants and `days` days.
 * The materialized views (trace index, sessions, hourly usage) fill as they would from ingest.
 * LLM spans carry a time to first token, tags (`tag.tags`) and short input/output text, so the
 * request log's filters and text search have something to find.
 */
export async function generateSpans(store: Store, o: { spans: number; tenants: number; days: number }): Promise<void> {
  const chunk = 2_000_000
  for (let offset = 0; offset < o.spans; offset += chunk) {
    await store.client.command({
      query: `INSERT INTO ${store.table('spans')}
        (Timestamp, TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, ResourceAttributes, SpanAttributes, Duration,
         StatusCode, tenant_id, session_id, user_id, operation, span_type, convention, provider, request_model, response_model,
         route, target, routing_version, input_tokens, output_tokens, cost_usd, cost_source, is_error, billable, ttft_ns, input_text, output_text)
      SELECT
        toDateTime64(now(), 9) - toIntervalSecond((session * 7919) % ({days:UInt32} * 86400)) + toIntervalMillisecond(pos * 150) AS Timestamp,
        lower(concat(hex(cityHash64(trace, 'a')), hex(cityHash64(trace, 'b')))) AS TraceId,
        lower(hex(cityHash64(n))) AS SpanId,
        if(pos % 5 = 0, '', lower(hex(cityHash64(n - pos % 5)))) AS ParentSpanId,
        ['agent.turn', 'chat', 'execute_tool search', 'retrieve documents', 'chat'][pos % 5 + 1] AS SpanName,
        if(pos % 5 IN (1, 4), 'Client', 'Internal') AS SpanKind,
        'support-agent' AS ServiceName,
        map('service.name', 'support-agent') AS ResourceAttributes,
        if(span_type = 'llm', map('session.id', session_id, 'gen_ai.request.model', request_model, 'tag.tags', ['["prod"]', '["prod","vip"]', '["eval"]'][session % 3 + 1]),
          map('session.id', session_id, 'gen_ai.request.model', request_model)) AS SpanAttributes,
        toUInt64(50000000 + (n % 997) * 1000000) AS Duration,
        if(n % 97 = 0, 'Error', 'Unset') AS StatusCode,
        concat('tenant-', toString(session % {tenants:UInt32})) AS tenant_id,
        concat('session-', toString(session)) AS session_id,
        concat('user-', toString(session % 5000)) AS user_id,
        ['invoke_agent', 'chat', 'execute_tool', 'retrieval', 'chat'][pos % 5 + 1] AS operation,
        ['agent', 'llm', 'tool', 'retrieval', 'llm'][pos % 5 + 1] AS span_type,
        'genai' AS convention,
        ['openai', 'anthropic'][n % 2 + 1] AS provider,
        ['gpt-4o-mini', 'claude-3-5-haiku'][n % 2 + 1] AS request_model,
        request_model AS response_model,
        ['support', 'search', 'summarize'][session % 3 + 1] AS route,
        concat(provider, '/', request_model) AS target,
        '7' AS routing_version,
        if(span_type = 'llm', 400 + n % 1200, 0) AS input_tokens,
        if(span_type = 'llm', 50 + n % 400, 0) AS output_tokens,
        CAST(input_tokens * 150 + output_tokens * 600 AS Decimal(38, 12)) / 1000000000 AS cost_usd, -- $0.15 / $0.60 per 1M tokens, exact
        if(span_type = 'llm', 'computed', 'none') AS cost_source,
        toUInt8(n % 97 = 0) AS is_error,
        toUInt8(span_type = 'llm') AS billable,
        if(span_type = 'llm', toUInt64(20000000 + (n % 499) * 1000000), 0) AS ttft_ns,
        if(span_type = 'llm', concat('Where is my order #', toString(session), '? It was due on day ', toString(n % 31), '.'), '') AS input_text,
        if(span_type = 'llm', concat('Order #', toString(session), ' ships ', ['today', 'tomorrow', 'next week'][n % 3 + 1], '.'), '') AS output_text
      FROM (SELECT number AS n, intDiv(number, 5) AS trace, intDiv(number, 20) AS session, number % 20 AS pos
            FROM numbers({offset:UInt64}, {count:UInt64}))`,
      query_params: { days: o.days, tenants: o.tenants, offset, count: Math.min(chunk, o.spans - offset) },
    })
  }
}

/** One evaluator score per trace (on its answer span), for the same sessions as `generateSpans`. */
export async function generateScores(store: Store, o: { spans: number; tenants: number; days: number }): Promise<void> {
  await store.client.command({
    query: `INSERT INTO ${store.table('scores')}
      (tenant_id, score_id, created_at, trace_id, span_id, session_id, route, target, name, version, source, data_type, value, reason, status)
    SELECT
      concat('tenant-', toString(session % {tenants:UInt32})) AS tenant_id,
      lower(hex(cityHash64(trace, 'score'))) AS score_id,
      toDateTime64(now(), 9) - toIntervalSecond((session * 7919) % ({days:UInt32} * 86400)) + toIntervalSecond(5 + trace % 4) AS created_at,
      lower(concat(hex(cityHash64(trace, 'a')), hex(cityHash64(trace, 'b')))) AS trace_id,
      lower(hex(cityHash64(trace * 5 + 4))) AS span_id,
      concat('session-', toString(session)) AS session_id,
      ['support', 'search', 'summarize'][session % 3 + 1] AS route,
      ['openai/gpt-4o-mini', 'anthropic/claude-3-5-haiku'][trace % 2 + 1] AS target,
      'correctness' AS name, '1' AS version, 'evaluator' AS source, 'boolean' AS data_type,
      toFloat64(cityHash64(trace) % 10 < 8) AS value,
      if(value = 0, concat('expected ', toString(cityHash64(trace) % 1000), ' items but the answer listed another number'), '') AS reason,
      'ok' AS status
    FROM (SELECT number AS trace, intDiv(number, 4) AS session FROM numbers({traces:UInt64}))`,
    query_params: { days: o.days, tenants: o.tenants, traces: Math.floor(o.spans / 5) },
  })
}

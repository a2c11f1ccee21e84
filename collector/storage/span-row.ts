/**
 * One row of the `spans` table, as written by the collector. The PascalCase columns mirror
 * the OpenTelemetry Collector's `otel_traces` table (Grafana's ClickHouse plugin reads them);
 * the snake_case columns are Loopgate's normalized view. 64-bit values travel as strings.
 */
export interface SpanRow {
  Timestamp: string // start, UTC nanoseconds since the epoch
  TraceId: string // 32 lowercase hex
  SpanId: string // 16 lowercase hex
  ParentSpanId: string // '' for a root span
  TraceState: string
  SpanName: string
  SpanKind: string // 'Internal' | 'Server' | 'Client' | 'Producer' | 'Consumer' | 'Unspecified'
  ServiceName: string
  ResourceAttributes: Record<string, string>
  ScopeName: string
  ScopeVersion: string
  SpanAttributes: Record<string, string>
  Duration: string // nanoseconds
  StatusCode: string // 'Unset' | 'Ok' | 'Error'
  StatusMessage: string
  'Events.Timestamp': string[]
  'Events.Name': string[]
  'Events.Attributes': Record<string, string>[]
  'Links.TraceId': string[]
  'Links.SpanId': string[]
  'Links.TraceState': string[]
  'Links.Attributes': Record<string, string>[]

  tenant_id: string
  session_id: string
  user_id: string
  /** What the span does: chat, text_completion, embeddings, tool, retrieval, agent, chain, … */
  operation: string
  /** 'llm' for model calls (billable), otherwise the kind of step. */
  span_type: string
  /** Which convention the span's GenAI attributes came from (genai, openinference, traceloop, langfuse, vercel_ai, loopgate). */
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
  cost_usd: string // decimal string, up to 12 fractional digits
  cost_source: string // 'provided' | 'computed' | 'none'
  /** 'measured' when the producer reported token counts, 'estimated' when counted from the captured text, '' when neither. */
  usage_source: string
  ttft_ns: string
  is_error: number // 0 | 1
  /** 1 when this span's cost counts towards chargeback (LLM calls, not the gateway's per-attempt children). */
  billable: number
  finish_reason: string
  input_text: string
  output_text: string
}

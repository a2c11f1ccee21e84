import type { Span, SpanBrief } from './types.ts'
import { num } from './sql.ts'

/** Columns for a timeline entry; `spanColumnsFull` adds the payload. */
export const spanColumnsBrief = `
  TraceId, SpanId, ParentSpanId, SpanName, SpanKind, ServiceName, ScopeName,
  toString(toUnixTimestamp64Nano(Timestamp)) AS start_ns, toString(Duration) AS duration_ns,
  StatusCode, StatusMessage, tenant_id, session_id, user_id, operation, span_type, convention,
  provider, request_model, response_model, route, target, routing_version, attempt,
  input_tokens, output_tokens, cache_read_tokens, cache_write_tokens,
  toString(cost_usd) AS cost, cost_source, usage_source, toString(ttft_ns) AS ttft, is_error, billable, finish_reason`

export const spanColumnsFull = `${spanColumnsBrief},
  input_text, output_text, SpanAttributes, ResourceAttributes,
  arrayMap(t -> toString(toUnixTimestamp64Nano(t)), \`Events.Timestamp\`) AS ev_time, \`Events.Name\` AS ev_name,
  \`Events.Attributes\` AS ev_attrs, \`Links.TraceId\` AS link_trace, \`Links.SpanId\` AS link_span,
  \`Links.Attributes\` AS link_attrs`

export interface SpanRowOut {
  TraceId: string
  SpanId: string
  ParentSpanId: string
  SpanName: string
  SpanKind: string
  ServiceName: string
  ScopeName: string
  start_ns: string
  duration_ns: string
  StatusCode: string
  StatusMessage: string
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
  attempt: number | string
  input_tokens: number | string
  output_tokens: number | string
  cache_read_tokens: number | string
  cache_write_tokens: number | string
  cost: string
  cost_source: string
  usage_source: string
  ttft: string
  is_error: number | string
  billable: number | string
  finish_reason: string
  input_text?: string
  output_text?: string
  SpanAttributes?: Record<string, string>
  ResourceAttributes?: Record<string, string>
  ev_time?: string[]
  ev_name?: string[]
  ev_attrs?: Record<string, string>[]
  link_trace?: string[]
  link_span?: string[]
  link_attrs?: Record<string, string>[]
}

export function toSpanBrief(r: SpanRowOut): SpanBrief {
  const startNs = BigInt(r.start_ns)
  const durationNs = BigInt(r.duration_ns)
  const ttft = BigInt(r.ttft)
  return {
    trace_id: r.TraceId,
    span_id: r.SpanId,
    parent_span_id: r.ParentSpanId,
    name: r.SpanName,
    kind: r.SpanKind,
    service_name: r.ServiceName,
    scope_name: r.ScopeName,
    start_ns: r.start_ns,
    end_ns: (startNs + durationNs).toString(),
    duration_ms: Number(durationNs) / 1e6,
    status_code: r.StatusCode,
    status_message: r.StatusMessage,
    tenant_id: r.tenant_id,
    session_id: r.session_id,
    user_id: r.user_id,
    operation: r.operation,
    span_type: r.span_type,
    convention: r.convention,
    provider: r.provider,
    request_model: r.request_model,
    response_model: r.response_model,
    route: r.route,
    target: r.target,
    routing_version: r.routing_version,
    attempt: num(r.attempt),
    input_tokens: num(r.input_tokens),
    output_tokens: num(r.output_tokens),
    cache_read_tokens: num(r.cache_read_tokens),
    cache_write_tokens: num(r.cache_write_tokens),
    cost_usd: r.cost,
    cost_source: r.cost_source,
    usage_source: r.usage_source,
    ttft_ms: ttft > 0n ? Number(ttft) / 1e6 : null,
    is_error: num(r.is_error) === 1,
    billable: num(r.billable) === 1,
    finish_reason: r.finish_reason,
  }
}

export function toSpan(r: SpanRowOut): Span {
  const times = r.ev_time ?? []
  return {
    ...toSpanBrief(r),
    input_text: r.input_text ?? '',
    output_text: r.output_text ?? '',
    attributes: r.SpanAttributes ?? {},
    resource_attributes: r.ResourceAttributes ?? {},
    events: times.map((t, i) => ({ time_ns: t, name: r.ev_name?.[i] ?? '', attributes: r.ev_attrs?.[i] ?? {} })),
    links: (r.link_trace ?? []).map((t, i) => ({ trace_id: t, span_id: r.link_span?.[i] ?? '', attributes: r.link_attrs?.[i] ?? {} })),
    children: [],
  }
}

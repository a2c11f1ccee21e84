// Stored span rows → the API's span objects.
import type { SpanRowOut } from '../queries/spans.ts'
import { num } from '../queries/run.ts'
import type { Span, SpanBrief } from './types.ts'

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
    links: (r.link_trace ?? []).map((t, i) => ({
      trace_id: t,
      span_id: r.link_span?.[i] ?? '',
      attributes: r.link_attrs?.[i] ?? {},
    })),
    children: [],
  }
}

import { randomBytes } from 'node:crypto'
import type { Span, Trace } from '../../collector/client.ts'
import { routeEvaluation, type RouteEvaluation } from '../../evaluator/config.ts'
import type { ScorerContext } from '../../evaluator/scorers/types.ts'

/** A span as GET /api/traces/:id returns it for a gateway chat call; override any field. */
export function apiSpan(overrides: Partial<Span> = {}): Span {
  const start = BigInt(Date.now()) * 1_000_000n
  return {
    trace_id: randomBytes(16).toString('hex'),
    span_id: randomBytes(8).toString('hex'),
    parent_span_id: '',
    name: 'chat gpt-4o-mini',
    kind: 'Client',
    service_name: 'loopgate-gateway',
    scope_name: 'loopgate',
    start_ns: start.toString(),
    end_ns: (start + 850_000_000n).toString(),
    duration_ms: 850,
    status_code: 'Ok',
    status_message: '',
    tenant_id: 'acme',
    session_id: 'sess-1',
    user_id: 'u-1',
    operation: 'chat',
    span_type: 'llm',
    convention: 'loopgate',
    provider: 'openai',
    request_model: 'gpt-4o-mini',
    response_model: 'gpt-4o-mini',
    route: 'support',
    target: 'openai/gpt-4o-mini',
    routing_version: '3',
    attempt: 0,
    input_tokens: 1000,
    output_tokens: 500,
    cache_read_tokens: 0,
    cache_write_tokens: 0,
    cost_usd: '0',
    cost_source: 'none',
    usage_source: 'measured',
    ttft_ms: 120,
    is_error: false,
    billable: true,
    finish_reason: 'stop',
    input_text: 'What is the capital of France?',
    output_text: 'The capital of France is Paris.',
    attributes: { 'gen_ai.request.model': 'gpt-4o-mini' },
    resource_attributes: { 'service.name': 'loopgate-gateway' },
    events: [],
    links: [],
    children: [],
    ...overrides,
  }
}

export function traceOf(...spans: Span[]): Trace {
  const first = spans[0]!
  return {
    trace_id: first.trace_id,
    tenant_id: first.tenant_id,
    session_ids: [first.session_id],
    start_ns: first.start_ns,
    end_ns: first.end_ns,
    totals: {
      spans: spans.length,
      llm_calls: spans.length,
      errors: 0,
      duration_ms: first.duration_ms,
      input_tokens: 0,
      output_tokens: 0,
      cache_read_tokens: 0,
      cache_write_tokens: 0,
      cost_usd: '0',
    },
    roots: spans,
    scores: [],
  }
}

export function context(span: Span, evaluation: Partial<RouteEvaluation> = {}, lastAttempt = false): ScorerContext {
  return {
    trace: traceOf(span),
    evaluation: { ...routeEvaluation({ defaults: {}, routes: {} }, ''), ...evaluation },
    signal: new AbortController().signal,
    lastAttempt,
  }
}

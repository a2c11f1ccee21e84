import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import type { IncomingHttpHeaders } from 'node:http'
import { unitsToUsd } from '../money.ts'
import type { Operation, ResponseFacts } from '../providers/types.ts'
import type { Target } from '../routing/table.ts'

const propagator = new W3CTraceContextPropagator()
const getter = {
  keys: (h: IncomingHttpHeaders) => Object.keys(h),
  get: (h: IncomingHttpHeaders, key: string) => h[key],
}

/** The client's W3C traceparent (if any) becomes the parent of our request span. */
export const parentContext = (headers: IncomingHttpHeaders): Context =>
  headers.traceparent === undefined ? ROOT_CONTEXT : propagator.extract(ROOT_CONTEXT, headers, getter)

export interface RequestSpanInfo {
  op: Operation
  route: string
  tenantId: string
  routingVersion: number
  sessionId: string | undefined
  userId: string | undefined
}

export function startRequestSpan(tracer: Tracer, parent: Context, i: RequestSpanInfo): Span {
  const attributes: Record<string, string | number> = {
    'gen_ai.operation.name': i.op,
    'gen_ai.request.model': i.route,
    'loopgate.span': 'request',
    'loopgate.tenant.id': i.tenantId,
    'loopgate.route': i.route,
    'loopgate.routing.version': i.routingVersion,
  }
  if (i.sessionId) attributes['session.id'] = i.sessionId
  if (i.userId) attributes['user.id'] = i.userId
  return tracer.startSpan(`${i.op} ${i.route}`, { kind: SpanKind.SERVER, attributes }, parent)
}

export function startAttemptSpan(tracer: Tracer, parent: Context, request: Span, i: RequestSpanInfo, target: Target, attempt: number): Span {
  const attributes: Record<string, string | number> = {
    'gen_ai.operation.name': i.op,
    'gen_ai.provider.name': target.provider.name,
    'gen_ai.request.model': target.model,
    'loopgate.span': 'attempt',
    'loopgate.tenant.id': i.tenantId,
    'loopgate.route': i.route,
    'loopgate.target': target.id,
    'loopgate.attempt': attempt,
    'loopgate.routing.version': i.routingVersion,
  }
  if (i.sessionId) attributes['session.id'] = i.sessionId
  if (i.userId) attributes['user.id'] = i.userId
  return tracer.startSpan(`${i.op} ${target.model}`, { kind: SpanKind.CLIENT, attributes }, trace.setSpan(parent, request))
}

/** Usage, cost and TTFT, on the request span and on the attempt that served it. */
export function recordOutcome(spans: Span[], target: Target, attempt: number, facts: ResponseFacts, cost: bigint, ttftMs: number | undefined): void {
  const u = facts.usage
  const attrs: Record<string, string | number | string[]> = {
    'gen_ai.provider.name': target.provider.name,
    'gen_ai.usage.input_tokens': u.input,
    'gen_ai.usage.output_tokens': u.output,
    'gen_ai.usage.cache_read.input_tokens': u.cacheRead,
    'gen_ai.usage.cache_creation.input_tokens': u.cacheWrite,
    'loopgate.cost_usd': unitsToUsd(cost),
    'loopgate.cost_source': target.priceSource,
    'loopgate.target': target.id,
  }
  if (facts.model) attrs['gen_ai.response.model'] = facts.model
  if (facts.finishReasons.length) attrs['gen_ai.response.finish_reasons'] = facts.finishReasons
  if (ttftMs !== undefined) attrs['loopgate.ttft_ms'] = Math.round(ttftMs * 1000) / 1000
  for (const s of spans) s.setAttributes(attrs)
  spans[0]?.setAttribute('loopgate.attempt', attempt)
}

export function failRequestSpan(span: Span, status: number, message: string): void {
  span.setAttribute('http.response.status_code', status)
  span.setAttribute('error.type', String(status))
  span.setStatus({ code: SpanStatusCode.ERROR, message })
}

export const traceIdOf = (span: Span) => span.spanContext().traceId

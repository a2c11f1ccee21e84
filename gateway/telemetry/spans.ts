import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'
import type { IncomingHttpHeaders } from 'node:http'
import type { Operation, ResponseFacts } from '../providers/types.ts'
import type { Target } from '../routing/table.ts'
import {
  ATTEMPT,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  COST_SOURCE,
  COST_USD,
  ROUTE,
  ROUTE_FAILED,
  ROUTING_VERSION,
  SPAN_ROLE,
  TARGET,
  TENANT_ID,
  TTFT_MS,
  USAGE_CUT,
} from '../../lib/attributes.ts'
import { INVALID_TRACE_ID } from '../../lib/ids.ts'

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

/*
 * Attributes are set once, after the span starts: given to `startSpan`, the SDK copies and checks
 * them twice more (for the sampler) before setting them one by one anyway.
 */
export function startRequestSpan(
  tracer: Tracer,
  parent: Context,
  i: RequestSpanInfo,
  extra: Record<string, string>,
): Span {
  const attributes: Record<string, string | number> = {
    [ATTR_GEN_AI_OPERATION_NAME]: i.op,
    [ATTR_GEN_AI_REQUEST_MODEL]: i.route,
    [SPAN_ROLE]: 'request',
    [TENANT_ID]: i.tenantId,
    [ROUTE]: i.route,
    [ROUTING_VERSION]: i.routingVersion,
    ...extra,
  }
  if (i.sessionId) attributes['session.id'] = i.sessionId
  if (i.userId) attributes['user.id'] = i.userId
  return tracer.startSpan(`${i.op} ${i.route}`, SERVER, parent).setAttributes(attributes)
}

export function startAttemptSpan(
  tracer: Tracer,
  parent: Context,
  request: Span,
  i: RequestSpanInfo,
  target: Target,
  attempt: number,
): Span {
  const attributes: Record<string, string | number> = {
    [ATTR_GEN_AI_OPERATION_NAME]: i.op,
    [ATTR_GEN_AI_PROVIDER_NAME]: target.provider.name,
    [ATTR_GEN_AI_REQUEST_MODEL]: target.model,
    [SPAN_ROLE]: 'attempt',
    [TENANT_ID]: i.tenantId,
    [ROUTE]: i.route,
    [TARGET]: target.id,
    [ATTEMPT]: attempt,
    [ROUTING_VERSION]: i.routingVersion,
  }
  if (i.sessionId) attributes['session.id'] = i.sessionId
  if (i.userId) attributes['user.id'] = i.userId
  return tracer.startSpan(`${i.op} ${target.model}`, CLIENT, trace.setSpan(parent, request)).setAttributes(attributes)
}

const SERVER = { kind: SpanKind.SERVER }
const CLIENT = { kind: SpanKind.CLIENT }

/** Usage, cost and TTFT, on the request span and on the attempt that served it. */
export function recordOutcome(
  request: Span,
  attempt: Span,
  target: Target,
  n: number,
  facts: ResponseFacts,
  costUsd: string,
  ttftMs: number | undefined,
): void {
  const u = facts.usage
  const attrs: Record<string, string | number | string[]> = {
    [ATTR_GEN_AI_PROVIDER_NAME]: target.provider.name,
    [ATTR_GEN_AI_USAGE_INPUT_TOKENS]: u.input,
    [ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]: u.output,
    [ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]: u.cacheRead,
    [ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]: u.cacheWrite,
    [COST_USD]: costUsd,
    [COST_SOURCE]: target.priceSource,
    [TARGET]: target.id,
  }
  if (facts.model) attrs[ATTR_GEN_AI_RESPONSE_MODEL] = facts.model
  if (facts.finishReasons.length) attrs[ATTR_GEN_AI_RESPONSE_FINISH_REASONS] = facts.finishReasons
  if (ttftMs !== undefined) attrs[TTFT_MS] = Math.round(ttftMs * 1000) / 1000
  attempt.setAttributes(attrs)
  attrs[ATTEMPT] = n
  request.setAttributes(attrs)
}

/**
 * A stream that did not complete. `message` set: the upstream cut it (a failed attempt: error
 * status on both spans); unset: the client left. Either way the usage settled next is marked cut.
 */
export function markStreamCut(request: Span, attempt: Span, message: string | undefined): void {
  const attrs = {
    [ATTR_ERROR_TYPE]: message === undefined ? 'client_disconnected' : 'upstream_stream_failed',
    [USAGE_CUT]: true,
  }
  request.setAttributes(attrs)
  attempt.setAttributes(attrs)
  if (message === undefined) return
  const status = { code: SpanStatusCode.ERROR, message: `upstream stream failed: ${message}` }
  request.setStatus(status)
  attempt.setStatus(status)
}

/** Every candidate target failed (or none could be tried): a route-level error, counted by the collector. */
export function markRouteFailed(request: Span, attempts: number): void {
  request.setAttributes({ [ROUTE_FAILED]: true, [ATTEMPT]: attempts })
}

export function failRequestSpan(span: Span, status: number, message: string): void {
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
  span.setAttribute(ATTR_ERROR_TYPE, String(status))
  span.setStatus({ code: SpanStatusCode.ERROR, message })
}

/** The span's trace id, undefined when tracing is off (a non-recording span has the invalid id). */
export function traceIdOf(span: Span): string | undefined {
  const id = span.spanContext().traceId
  return id === INVALID_TRACE_ID ? undefined : id
}

// One OTLP span → one SpanRow (without trace-level propagation, which index.ts does).
import type { Span as SpanOf, TextKeyValue } from '../otlp/model.ts'
import type { SpanRow } from '../storage/span-row.ts'
import { anyValueToString } from './any-value.ts'
import { rowIdProblem } from './id-limits.ts'
import { SPAN_ID_LENGTH, TRACE_ID_LENGTH, isHexId } from '../../lib/ids.ts'
import { USD_SCALE, formatScaled, parseScaled, rescale } from '../../lib/money.ts'
import {
  FIRST_SEGMENT_SOURCES,
  INPUT_EXCLUDES_CACHE,
  MILLISECOND_SOURCES,
  TIMESTAMP_SOURCES,
  type Column,
} from './precedence.ts'
import { resolve } from './resolve.ts'
import { MAX_ATTRIBUTES, emptyScan, scanAttributes, type Scan } from './scan.ts'
import { CONVENTION_NAMES, EVENT_SLOTS, LOOPGATE_SPAN_SLOT, ROUTE_FAILED_SLOT, SERVICE_NAME_SLOT } from './sources.ts'
import { operationFrom, spanTypeFrom, vercelKindFromName } from './span-kind.ts'
import { providerOfModel, type PriceFn } from './pricing.ts'
import { estimateUsage } from '../../lib/token-count.ts'

type Span = SpanOf<TextKeyValue>

const SPAN_KINDS = ['Unspecified', 'Internal', 'Server', 'Client', 'Producer', 'Consumer']
const STATUS_CODES = ['Unset', 'Ok', 'Error']

export interface ScopeInfo {
  name: string
  version: string
}

export interface SpanInput {
  span: Span
  resource: Scan
  scope: ScopeInfo
  tenantId: string
  trustTenantAttribute: boolean
  price: PriceFn
}

const MAX_INT64 = 2n ** 63n - 1n
/** Decimal(18, 12) holds less than a million USD: a larger provided cost is not believed. */
const MAX_COST_UNITS = 10n ** 18n

/** Nanoseconds that DateTime64(9) can hold (an Int64). */
const MAX_INT64_DIGITS = String(MAX_INT64)
const storableTime = (ns: string) => ns.length < 19 || (ns.length === 19 && ns <= MAX_INT64_DIGITS)

/** The provided cost `believableCost` accepted last, as stored (the hot path allocates no closure per span for it). */
let providedCost = ''
/** A plain decimal below a million with at most 12 fractional digits: its stored form needs no BigInt. */
const PLAIN_USD = /^(\d{1,6})(?:\.(\d{1,12}))?$/
const believableCost = (v: string) => {
  const plain = PLAIN_USD.exec(v)
  if (plain) {
    // What formatScaled(parseScaled(v)) gives: no leading zeros, no trailing fractional zeros.
    const whole = String(Number(plain[1]))
    let fraction = plain[2] ?? ''
    let end = fraction.length
    while (end > 0 && fraction.charCodeAt(end - 1) === 48) end--
    fraction = fraction.slice(0, end)
    providedCost = fraction ? `${whole}.${fraction}` : whole
    return true
  }
  const units = parseScaled(v, USD_SCALE)
  if (units === null || units >= MAX_COST_UNITS) return false
  providedCost = formatScaled(units, USD_SCALE)
  return true
}

/** Either the row, or why the span is refused. */
export type SpanOutcome = { row: SpanRow; tenantFromAttribute: boolean } | { error: string }

export function normalizeSpan(input: SpanInput): SpanOutcome {
  const { span, resource } = input
  const idError = checkIds(span)
  if (idError) return { error: idError }
  if (span.attributes.length > MAX_ATTRIBUTES) {
    return { error: `span ${span.spanId}: ${span.attributes.length} attributes exceed the limit of ${MAX_ATTRIBUTES}` }
  }
  const lateTime = storableTime(span.startTimeUnixNano)
    ? span.events.find((e) => !storableTime(e.timeUnixNano))?.timeUnixNano
    : span.startTimeUnixNano
  if (lateTime !== undefined)
    return { error: `span ${span.spanId}: time ${lateTime} ns is after 2262-04-11, the last time ClickHouse stores` }

  const scan = emptyScan()
  scanAttributes(span.attributes, scan)
  const events = eventColumns(span, scan)
  const has = (column: Column) => resolve(column, scan, resource)

  const kind = spanKind(scan, span.name)
  const provider = has('provider')
  const requestModel = has('request_model')?.value ?? ''
  const responseModel = has('response_model')?.value ?? ''
  const usage = tokenUsage(scan, resource)
  const isLlm = kind.spanType === 'llm'
  // A model call that names no provider (Langfuse, bare model spans): the price table knows whose model it is.
  const providerName = providerValue(provider) || (isLlm ? providerOfModel(responseModel || requestModel) : '')
  const attemptRaw = has('attempt')?.value
  const attemptChild =
    attemptRaw !== undefined && scan.slots[LOOPGATE_SPAN_SLOT] === 'attempt' && span.parentSpanId !== ''
  const inputText = has('input_text')?.value ?? ''
  const outputText = has('output_text')?.value ?? ''
  let usageSource = usage.reported ? 'measured' : ''
  if (isLlm && !usage.reported && !attemptChild && (inputText !== '' || outputText !== '')) {
    // The producer dropped usage (a streamed call): bill what the captured text amounts to.
    const estimated = estimateUsage(responseModel || requestModel, inputText, outputText)
    usage.input = estimated.input
    usage.output = estimated.output
    usageSource = 'estimated'
  }

  let costUsd = '0'
  let costSource = 'none'
  if (isLlm) {
    if (resolve('cost_usd', scan, resource, believableCost)) {
      costUsd = providedCost
      costSource = 'provided'
    } else if (usage.input + usage.output > 0) {
      const model = responseModel || requestModel
      const startMs = Number(span.startTimeUnixNano.length > 6 ? span.startTimeUnixNano.slice(0, -6) : '0')
      const exact = input.price(providerName, model, usage, startMs)
      if (exact !== null) {
        costUsd = formatScaled(rescale(exact, 24, USD_SCALE), USD_SCALE)
        costSource = 'computed'
      }
    }
  }

  const attempt = attemptRaw !== undefined && /^\d+$/.test(attemptRaw) ? Math.min(Number(attemptRaw), 65535) : 0
  // A gateway request on which every target failed is a request and an error of its route.
  const routeFailed = scan.slots[ROUTE_FAILED_SLOT] === 'true' && scan.slots[LOOPGATE_SPAN_SLOT] === 'request'

  // Only the gateway's trusted ingest names a span's tenant and fills the gateway columns; from any
  // other sender those attributes stay in SpanAttributes and never count as gateway attempts.
  const trusted = input.trustTenantAttribute
  const tenantAttr = trusted ? has('tenant_id')?.value : undefined
  const row: SpanRow = {
    Timestamp: span.startTimeUnixNano,
    TraceId: span.traceId,
    SpanId: span.spanId,
    ParentSpanId: span.parentSpanId,
    TraceState: span.traceState,
    SpanName: span.name,
    SpanKind: SPAN_KINDS[span.kind] ?? 'Unspecified',
    ServiceName: resource.slots[SERVICE_NAME_SLOT] ?? '',
    ResourceAttributes: resource.attributes,
    ScopeName: input.scope.name,
    ScopeVersion: input.scope.version,
    SpanAttributes: scan.attributes,
    Duration: subtractNanos(span.endTimeUnixNano, span.startTimeUnixNano),
    StatusCode: STATUS_CODES[span.status.code] ?? 'Unset',
    StatusMessage: span.status.message,
    'Events.Timestamp': events.timestamps,
    'Events.Name': events.names,
    'Events.Attributes': events.attributes,
    'Links.TraceId': span.links.map((l) => l.traceId),
    'Links.SpanId': span.links.map((l) => l.spanId),
    'Links.TraceState': span.links.map((l) => l.traceState),
    'Links.Attributes': span.links.map((l) => flatten(l.attributes)),

    tenant_id: tenantAttr || input.tenantId,
    session_id: has('session_id')?.value ?? '',
    user_id: has('user_id')?.value ?? '',
    operation: kind.operation,
    span_type: kind.spanType,
    convention: CONVENTION_NAMES[scan.conventionRank] ?? CONVENTION_NAMES[resource.conventionRank] ?? '',
    provider: providerName,
    request_model: requestModel,
    response_model: responseModel,
    route: (trusted && has('route')?.value) || '',
    target: (trusted && has('target')?.value) || '',
    routing_version: (trusted && has('routing_version')?.value) || '',
    attempt: trusted ? attempt : 0,
    input_tokens: usage.input,
    output_tokens: usage.output,
    cache_read_tokens: usage.cacheRead,
    cache_write_tokens: usage.cacheWrite,
    cost_usd: costUsd,
    cost_source: costSource,
    usage_source: usageSource,
    ttft_ns: ttftNanos(scan, resource, span.startTimeUnixNano),
    is_error: span.status.code === 2 || has('error') || routeFailed ? 1 : 0,
    // One row per LLM call, with or without usage: the gateway's attempt children repeat their
    // request span's call, and a Vercel wrapper (ai.generateText) is a `chain` span, not `llm`.
    billable: (isLlm && !attemptChild) || routeFailed ? 1 : 0,
    finish_reason: finishReason(scan, resource),
    input_text: inputText,
    output_text: outputText,
  }
  const rowIdError = rowIdProblem(row)
  if (rowIdError) return { error: `span ${span.spanId}: ${rowIdError}` }
  return { row, tenantFromAttribute: Boolean(tenantAttr) }
}

function checkIds(span: Span): string | null {
  const id = span.spanId
  if (!isHexId(span.traceId, TRACE_ID_LENGTH))
    return `span ${printable(id)}: trace id ${describeId(span.traceId)} must be 16 bytes (32 hex digits), not all zero`
  if (!isHexId(id, SPAN_ID_LENGTH))
    return `span in trace ${span.traceId}: span id ${describeId(id)} must be 8 bytes (16 hex digits), not all zero`
  if (span.parentSpanId !== '' && !isHexId(span.parentSpanId, SPAN_ID_LENGTH)) {
    return `span ${id}: parent span id ${describeId(span.parentSpanId)} must be 8 bytes (16 hex digits) or empty`
  }
  return null
}

function describeId(s: string): string {
  return s === '' ? '(empty)' : `'${printable(s)}' (${s.length} chars)`
}

function printable(s: string): string {
  return s.length > 40 ? `${s.slice(0, 40)}…` : s
}

function flatten(list: Span['attributes']): Record<string, string> {
  const out: Record<string, string> = {}
  for (const kv of list) out[kv.key] = anyValueToString(kv.value)
  return out
}

/** Flattened events; their attributes may also supply message sources the span lacks. */
function eventColumns(span: Span, scan: Scan) {
  const n = span.events.length
  const timestamps: string[] = new Array(n)
  const names: string[] = new Array(n)
  const attributes: Record<string, string>[] = new Array(n)
  for (let i = 0; i < n; i++) {
    const ev = span.events[i]!
    timestamps[i] = ev.timeUnixNano
    names[i] = ev.name
    const flat = flatten(ev.attributes)
    attributes[i] = flat
    const slots = EVENT_SLOTS.get(ev.name)
    if (slots)
      for (const [key, slot] of slots)
        if (scan.slots[slot] === undefined && flat[key] !== undefined) scan.slots[slot] = flat[key]
  }
  return { timestamps, names, attributes }
}

function spanKind(scan: Scan, name: string): { spanType: string; operation: string } {
  const typeSource = resolve('span_type', scan, null, (v, source) => spanTypeFrom(source, v) !== '')
  const opSource = resolve('operation', scan, null, (v, source) => operationFrom(source, v) !== '')
  let spanType = typeSource ? spanTypeFrom(typeSource.source, typeSource.value) : ''
  let operation = opSource ? operationFrom(opSource.source, opSource.value) : ''
  if (!spanType) {
    const vercel = vercelKindFromName(name)
    if (vercel) {
      spanType = vercel.type
      operation ||= vercel.operation
    } else if (
      (resolve('request_model', scan, null) || resolve('response_model', scan, null)) &&
      (resolve('input_tokens', scan, null) || resolve('output_tokens', scan, null))
    ) {
      // A model and token usage without any kind attribute (older GenAI semconv): a model call.
      spanType = 'llm'
    } else spanType = 'span'
  }
  if (!operation) operation = spanType === 'llm' ? 'chat' : spanType
  return { spanType, operation }
}

function providerValue(p: { value: string; source: string } | null): string {
  if (!p) return ''
  const v = p.value.toLowerCase()
  if (!FIRST_SEGMENT_SOURCES.has(p.source)) return v
  const dot = v.indexOf('.')
  return dot > 0 ? v.slice(0, dot) : v
}

/** Whole counts up to 15 digits: anything larger is not a token count, so the next source is used. */
const isCount = (v: string) => /^\d{1,15}(\.0*)?$/.test(v)

/** Tokens with input_tokens = ALL input (cache read + write included); see docs/normalization.md. */
function tokenUsage(scan: Scan, resource: Scan) {
  const input = resolve('input_tokens', scan, resource, isCount)
  const cacheRead = count(resolve('cache_read_tokens', scan, resource, isCount))
  const cacheWrite = count(resolve('cache_write_tokens', scan, resource, isCount))
  let inputTokens = count(input)
  // Sources in INPUT_EXCLUDES_CACHE report disjoint buckets; and a count smaller than its own
  // cached part cannot include it (Anthropic-style raw usage): add the cached tokens then.
  if (input && (INPUT_EXCLUDES_CACHE.has(input.source) || inputTokens < cacheRead + cacheWrite))
    inputTokens += cacheRead + cacheWrite
  else if (!input) inputTokens = cacheRead + cacheWrite
  const output = resolve('output_tokens', scan, resource, isCount)
  const reported = input !== null || output !== null || cacheRead + cacheWrite > 0
  return { input: inputTokens, output: count(output), cacheRead, cacheWrite, reported }
}

function count(r: { value: string } | null): number {
  return r ? Math.floor(Number(r.value)) : 0
}

/** The span start and the nanoseconds `storableTtft` read last (no closure per span). */
let ttftStart = ''
let ttftNs: bigint | number | null = null
/** Milliseconds as a plain decimal up to 10⁹ with at most 6 fractional digits: exact nanoseconds in a double. */
const PLAIN_MS = /^(\d{1,9})(?:\.(\d{1,6}))?$/
const storableTtft = (v: string, source: string) => {
  const plainMs = MILLISECOND_SOURCES.has(source) ? PLAIN_MS.exec(v) : null
  if (plainMs) {
    ttftNs = Number(plainMs[1]) * 1e6 + Number((plainMs[2] ?? '').padEnd(6, '0'))
    return true
  }
  ttftNs = TIMESTAMP_SOURCES.has(source)
    ? sinceStart(v, ttftStart)
    : parseScaled(v, MILLISECOND_SOURCES.has(source) ? 6 : 0)
  return ttftNs !== null && ttftNs <= MAX_INT64
}

function ttftNanos(scan: Scan, resource: Scan, startNanos: string): string {
  ttftStart = startNanos
  return resolve('ttft_ns', scan, resource, storableTtft) ? String(ttftNs) : '0'
}

/** Nanoseconds from the span's start to an ISO 8601 time (JSON-quoted or not); null when unreadable or before the start. */
function sinceStart(iso: string, startNanos: string): bigint | null {
  const m = /^"?(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)"?$/.exec(iso.trim())
  if (!m) return null
  const seconds = Date.parse(`${m[1]}${m[3]}`)
  if (!Number.isFinite(seconds)) return null
  const at = BigInt(seconds) * 1_000_000n + BigInt((m[2] ?? '').padEnd(9, '0'))
  const delta = at - BigInt(startNanos)
  return delta >= 0n ? delta : null
}

/** The last list `finishReason` read and its first reason: spans of one producer repeat the same list. */
let lastReasons = ''
let lastFirstReason = ''

function finishReason(scan: Scan, resource: Scan): string {
  const r = resolve('finish_reason', scan, resource)
  if (!r) return ''
  if (r.value.charCodeAt(0) !== 91 /* [ */) return r.value
  if (r.value === lastReasons) return lastFirstReason
  let first: string
  try {
    const list = JSON.parse(r.value) as unknown
    first = Array.isArray(list) && list.length > 0 ? String(list[0]) : ''
  } catch {
    first = r.value
  }
  lastReasons = r.value
  lastFirstReason = first
  return first
}

/** end − start in nanoseconds, exact, 0 when negative. */
export function subtractNanos(end: string, start: string): string {
  if (end.length <= 15 && start.length <= 15) return String(Math.max(0, Number(end) - Number(start)))
  const eh = end.length > 9 ? Number(end.slice(0, -9)) : 0
  const sh = start.length > 9 ? Number(start.slice(0, -9)) : 0
  const el = Number(end.length > 9 ? end.slice(-9) : end)
  const sl = Number(start.length > 9 ? start.slice(-9) : start)
  const diff = (eh - sh) * 1e9 + (el - sl)
  if (diff <= 0) return '0'
  if (Number.isSafeInteger(diff)) return String(diff)
  const big = BigInt(end) - BigInt(start)
  return big > 0n ? big.toString() : '0'
}

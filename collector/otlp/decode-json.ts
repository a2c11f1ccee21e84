// OTLP/JSON decoder: hex ids (base64 accepted as a fallback), 64-bit times and ints as strings
// or numbers, enums as integers or names, camelCase fields (snake_case accepted), unknown
// fields ignored. Attribute values are passed through untouched (see model.ts).
import { OtlpDecodeError } from './errors.ts'
import type {
  ExportRequest,
  KeyValue,
  ResourceSpans,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
  SpanStatus,
} from './model.ts'

type Obj = Record<string, unknown>

const SPAN_KINDS: Record<string, number> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
}
const STATUS_CODES: Record<string, number> = { STATUS_CODE_UNSET: 0, STATUS_CODE_OK: 1, STATUS_CODE_ERROR: 2 }

export function decodeJson(body: string): ExportRequest {
  let parsed: unknown
  try {
    parsed = JSON.parse(body)
  } catch (err) {
    throw new OtlpDecodeError(`invalid JSON: ${err instanceof Error ? err.message : String(err)}`)
  }
  if (!isObj(parsed))
    throw new OtlpDecodeError('invalid OTLP/JSON: the body must be a JSON object with a "resourceSpans" array')
  const list = arrayField(parsed, 'resourceSpans', 'resource_spans', 'resourceSpans')
  const resourceSpans: ResourceSpans[] = new Array(list.length)
  for (let i = 0; i < list.length; i++) resourceSpans[i] = toResourceSpans(list[i], `resourceSpans[${i}]`)
  return { resourceSpans }
}

function toResourceSpans(v: unknown, path: string): ResourceSpans {
  const o = objectAt(v, path)
  const resource = o.resource == null ? {} : objectAt(o.resource, `${path}.resource`)
  const scopes = arrayField(o, 'scopeSpans', 'scope_spans', path)
  const scopeSpans: ScopeSpans[] = new Array(scopes.length)
  for (let i = 0; i < scopes.length; i++) scopeSpans[i] = toScopeSpans(scopes[i], `${path}.scopeSpans[${i}]`)
  return {
    resource: { attributes: attributesAt(resource, `${path}.resource`) },
    scopeSpans,
    schemaUrl: stringField(o, 'schemaUrl', 'schema_url', path),
  }
}

function toScopeSpans(v: unknown, path: string): ScopeSpans {
  const o = objectAt(v, path)
  const scope = o.scope == null ? {} : objectAt(o.scope, `${path}.scope`)
  const list = arrayField(o, 'spans', 'spans', path)
  const spans: Span[] = new Array(list.length)
  for (let i = 0; i < list.length; i++) spans[i] = toSpan(list[i], `${path}.spans[${i}]`)
  return {
    scope: {
      name: stringField(scope, 'name', 'name', `${path}.scope`),
      version: stringField(scope, 'version', 'version', `${path}.scope`),
      attributes: attributesAt(scope, `${path}.scope`),
    },
    spans,
    schemaUrl: stringField(o, 'schemaUrl', 'schema_url', path),
  }
}

function toSpan(v: unknown, path: string): Span {
  const o = objectAt(v, path)
  return {
    traceId: idField(o, 'traceId', 'trace_id', path),
    spanId: idField(o, 'spanId', 'span_id', path),
    parentSpanId: idField(o, 'parentSpanId', 'parent_span_id', path),
    traceState: stringField(o, 'traceState', 'trace_state', path),
    flags: uintField(o, 'flags', 'flags', path),
    name: stringField(o, 'name', 'name', path),
    kind: enumField(o, 'kind', 'kind', SPAN_KINDS, 'SPAN_KIND_', path),
    startTimeUnixNano: nanosField(o, 'startTimeUnixNano', 'start_time_unix_nano', path),
    endTimeUnixNano: nanosField(o, 'endTimeUnixNano', 'end_time_unix_nano', path),
    attributes: attributesAt(o, path),
    events: listOf(o, 'events', 'events', path, toEvent),
    links: listOf(o, 'links', 'links', path, toLink),
    status: toStatus(o.status, `${path}.status`),
  }
}

function toEvent(v: unknown, path: string): SpanEvent {
  const o = objectAt(v, path)
  return {
    timeUnixNano: nanosField(o, 'timeUnixNano', 'time_unix_nano', path),
    name: stringField(o, 'name', 'name', path),
    attributes: attributesAt(o, path),
  }
}

function toLink(v: unknown, path: string): SpanLink {
  const o = objectAt(v, path)
  return {
    traceId: idField(o, 'traceId', 'trace_id', path),
    spanId: idField(o, 'spanId', 'span_id', path),
    traceState: stringField(o, 'traceState', 'trace_state', path),
    attributes: attributesAt(o, path),
    flags: uintField(o, 'flags', 'flags', path),
  }
}

function toStatus(v: unknown, path: string): SpanStatus {
  if (v == null) return { code: 0, message: '' }
  const o = objectAt(v, path)
  return {
    code: enumField(o, 'code', 'code', STATUS_CODES, 'STATUS_CODE_', path),
    message: stringField(o, 'message', 'message', path),
  }
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function objectAt(v: unknown, path: string): Obj {
  if (!isObj(v)) throw new OtlpDecodeError(`invalid OTLP/JSON: ${path} must be an object, got ${describe(v)}`)
  return v
}

function pick(o: Obj, camel: string, snake: string): unknown {
  const v = o[camel]
  return v === undefined && snake !== camel ? o[snake] : v
}

function arrayField(o: Obj, camel: string, snake: string, path: string): unknown[] {
  const v = pick(o, camel, snake)
  if (v == null) return []
  if (!Array.isArray(v))
    throw new OtlpDecodeError(`invalid OTLP/JSON: ${path}.${camel} must be an array, got ${describe(v)}`)
  return v
}

function listOf<T>(o: Obj, camel: string, snake: string, path: string, convert: (v: unknown, path: string) => T): T[] {
  const list = arrayField(o, camel, snake, path)
  const out: T[] = new Array(list.length)
  for (let i = 0; i < list.length; i++) out[i] = convert(list[i], `${path}.${camel}[${i}]`)
  return out
}

function attributesAt(o: Obj, path: string): KeyValue[] {
  const list = arrayField(o, 'attributes', 'attributes', path)
  for (let i = 0; i < list.length; i++) {
    const kv = list[i]
    if (!isObj(kv) || typeof kv.key !== 'string') {
      throw new OtlpDecodeError(
        `invalid OTLP/JSON: ${path}.attributes[${i}] must be an object {"key": string, "value": AnyValue}, got ${describe(kv)}`,
      )
    }
  }
  return list as KeyValue[]
}

function stringField(o: Obj, camel: string, snake: string, path: string): string {
  const v = pick(o, camel, snake)
  if (v == null) return ''
  if (typeof v !== 'string')
    throw new OtlpDecodeError(`invalid OTLP/JSON: ${path}.${camel} must be a string, got ${describe(v)}`)
  return v
}

function uintField(o: Obj, camel: string, snake: string, path: string): number {
  const v = pick(o, camel, snake)
  if (v == null) return 0
  const n = typeof v === 'string' && v !== '' ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0) {
    throw new OtlpDecodeError(`invalid OTLP/JSON: ${path}.${camel} must be a non-negative integer, got ${describe(v)}`)
  }
  return n
}

function enumField(
  o: Obj,
  camel: string,
  snake: string,
  names: Record<string, number>,
  prefix: string,
  path: string,
): number {
  const v = pick(o, camel, snake)
  if (v == null) return 0
  if (typeof v === 'number' && Number.isInteger(v)) return v
  if (typeof v === 'string') {
    const upper = v.toUpperCase()
    const n = names[upper] ?? names[prefix + upper]
    if (n !== undefined) return n
    if (/^\d+$/.test(v)) return Number(v)
  }
  throw new OtlpDecodeError(
    `invalid OTLP/JSON: ${path}.${camel} must be an enum integer or one of ${Object.keys(names).join(', ')}, got ${describe(v)}`,
  )
}

/** Unsigned 64-bit nanoseconds as an exact decimal string. */
function nanosField(o: Obj, camel: string, snake: string, path: string): string {
  const v = pick(o, camel, snake)
  if (v == null || v === '') return '0'
  if (typeof v === 'string') {
    if (v.length <= 20 && isDigits(v)) {
      const trimmed = stripZeros(v)
      if (trimmed.length < 20 || trimmed <= '18446744073709551615') return trimmed
    }
  } else if (typeof v === 'number' && Number.isInteger(v) && v >= 0) {
    // Numbers above 2^53 were already rounded by JSON.parse; nothing more can be recovered.
    return Number.isSafeInteger(v) ? String(v) : BigInt(v).toString()
  }
  throw new OtlpDecodeError(
    `invalid OTLP/JSON: ${path}.${camel} must be unsigned 64-bit nanoseconds (a decimal string or integer), got ${describe(v)}`,
  )
}

function idField(o: Obj, camel: string, snake: string, path: string): string {
  const v = pick(o, camel, snake)
  if (v == null) return ''
  if (typeof v !== 'string')
    throw new OtlpDecodeError(`invalid OTLP/JSON: ${path}.${camel} must be a hex string, got ${describe(v)}`)
  return jsonId(v)
}

/**
 * OTLP/JSON ids are hex. Some producers use the generic protobuf JSON mapping (base64) instead;
 * accept that when the string is not hex. Anything else is returned as-is and the normalizer
 * rejects the span with a reason naming the bad id.
 */
export function jsonId(s: string): string {
  if (isHex(s)) return s.toLowerCase()
  if ((s.length === 24 || s.length === 12) && /^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    const hex = Buffer.from(s, 'base64').toString('hex')
    if (hex.length === 32 || hex.length === 16) return hex
  }
  return s
}

export function isHex(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (!((c >= 48 && c <= 57) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70))) return false
  }
  return true
}

function isDigits(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

function stripZeros(s: string): string {
  let i = 0
  while (i < s.length - 1 && s.charCodeAt(i) === 48) i++
  return i === 0 ? s : s.slice(i)
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)
  if (typeof v === 'object') return 'an object'
  return `${typeof v} ${String(v)}`
}

/**
 * The decoded ExportTraceServiceRequest, the same shape from protobuf and from JSON.
 * Span-level fields are already canonical (ids as lowercase hex, times as decimal nanosecond
 * strings, enums as numbers); attribute values keep the OTLP/JSON AnyValue shape so the JSON
 * decoder can pass them through without copying. Readers of AnyValue must tolerate any shape
 * (see normalize/any-value.ts): JSON producers send what they send.
 */
export interface AnyValue {
  stringValue?: unknown
  boolValue?: unknown
  /** number when it fits a safe integer, otherwise the exact decimal string. */
  intValue?: unknown
  doubleValue?: unknown
  arrayValue?: { values?: unknown } | null
  kvlistValue?: { values?: unknown } | null
  /** Uint8Array from protobuf, base64 string from JSON. */
  bytesValue?: unknown
}

export interface KeyValue {
  key: string
  value?: AnyValue | null
}

/**
 * A KeyValue whose scalar value may already be its stored text: what the protobuf decoder gives
 * with `scalarsAsText` (ingest), and what the normalizer reads (normalize/any-value.ts takes both).
 */
export interface TextKeyValue {
  key: string
  value?: AnyValue | string | null
}

export interface SpanEvent<KV = KeyValue> {
  timeUnixNano: string
  name: string
  attributes: KV[]
}

export interface SpanLink<KV = KeyValue> {
  traceId: string
  spanId: string
  traceState: string
  attributes: KV[]
  flags: number
}

export interface SpanStatus {
  /** 0 unset, 1 ok, 2 error */
  code: number
  message: string
}

export interface Span<KV = KeyValue> {
  /** Lowercase hex of the id bytes; the normalizer checks the length. */
  traceId: string
  spanId: string
  /** '' for a root span. */
  parentSpanId: string
  traceState: string
  flags: number
  name: string
  /** OTLP SpanKind number: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: number
  /** Unsigned nanoseconds since the epoch as a decimal string (exact; never a JS number). */
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes: KV[]
  events: SpanEvent<KV>[]
  links: SpanLink<KV>[]
  status: SpanStatus
}

export interface InstrumentationScope<KV = KeyValue> {
  name: string
  version: string
  attributes: KV[]
}

export interface ScopeSpans<KV = KeyValue> {
  scope: InstrumentationScope<KV>
  spans: Span<KV>[]
  schemaUrl: string
}

export interface ResourceSpans<KV = KeyValue> {
  resource: { attributes: KV[] }
  scopeSpans: ScopeSpans<KV>[]
  schemaUrl: string
}

export interface ExportRequest<KV = KeyValue> {
  resourceSpans: ResourceSpans<KV>[]
}

/** Deepest AnyValue nesting kept as structure; deeper values are replaced by TRUNCATED_VALUE. */
export const MAX_ANY_VALUE_DEPTH = 32
export const TRUNCATED_VALUE = '[truncated: nested deeper than 32 levels]'

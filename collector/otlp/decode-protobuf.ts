// Streaming protobuf decoder for ExportTraceServiceRequest on protobufjs' Reader. It builds the
// collector's ExportRequest directly (no intermediate message objects), keeps fixed64
// nanoseconds exact, caps AnyValue nesting, and replaces invalid UTF-8 with U+FFFD.
// Field numbers come from trace.proto (schema.ts).
import protobuf from 'protobufjs'
import { OtlpDecodeError } from './errors.ts'
import { fieldNumbers } from './schema.ts'
import { Interner } from './string-interner.ts'
import {
  done,
  FIXED32,
  FIXED64,
  LEN,
  longValue,
  readFixed64,
  readHex,
  readString,
  skip,
  subEnd,
  VARINT,
  type Long,
  type Reader,
} from './wire-reader.ts'
import {
  MAX_ANY_VALUE_DEPTH,
  TRUNCATED_VALUE,
  type AnyValue,
  type ExportRequest,
  type KeyValue as PlainKeyValue,
  type ResourceSpans as ResourceSpansOf,
  type ScopeSpans as ScopeSpansOf,
  type Span as SpanOf,
  type SpanEvent as SpanEventOf,
  type SpanLink as SpanLinkOf,
  type TextKeyValue,
} from './model.ts'

// Built in the wider text form; without `scalarsAsText` no value is a string (see the overloads).
type KeyValue = TextKeyValue
type ResourceSpans = ResourceSpansOf<KeyValue>
type ScopeSpans = ScopeSpansOf<KeyValue>
type Span = SpanOf<KeyValue>
type SpanEvent = SpanEventOf<KeyValue>
type SpanLink = SpanLinkOf<KeyValue>

const F = {
  request: fieldNumbers('ExportTraceServiceRequest', ['resourceSpans']),
  resourceSpans: fieldNumbers('ResourceSpans', ['resource', 'scopeSpans', 'schemaUrl']),
  resource: fieldNumbers('Resource', ['attributes']),
  scopeSpans: fieldNumbers('ScopeSpans', ['scope', 'spans', 'schemaUrl']),
  scope: fieldNumbers('InstrumentationScope', ['name', 'version', 'attributes']),
  span: fieldNumbers('Span', [
    'traceId',
    'spanId',
    'traceState',
    'parentSpanId',
    'flags',
    'name',
    'kind',
    'startTimeUnixNano',
    'endTimeUnixNano',
    'attributes',
    'events',
    'links',
    'status',
  ]),
  event: fieldNumbers('Span.Event', ['timeUnixNano', 'name', 'attributes']),
  link: fieldNumbers('Span.Link', ['traceId', 'spanId', 'traceState', 'attributes', 'flags']),
  status: fieldNumbers('Status', ['message', 'code']),
  anyValue: fieldNumbers('AnyValue', [
    'stringValue',
    'boolValue',
    'intValue',
    'doubleValue',
    'arrayValue',
    'kvlistValue',
    'bytesValue',
  ]),
  arrayValue: fieldNumbers('ArrayValue', ['values']),
  keyValueList: fieldNumbers('KeyValueList', ['values']),
  keyValue: fieldNumbers('KeyValue', ['key', 'value']),
}

export interface DecodeOptions {
  /**
   * Attribute values that are scalars (string, int, bool, double, bytes) come out as the text the
   * normalizer stores for them (normalize/any-value.ts: the same string anyValueToString gives)
   * instead of AnyValue objects; arrays and kvlists stay AnyValue. For ingest, which only ever
   * reads attribute values as that text: one object and one call less per attribute.
   */
  scalarsAsText?: boolean
}

/** Top-level attribute values as text (DecodeOptions.scalarsAsText) while a request decodes. */
let asText = false

export function decodeProtobuf(body: Uint8Array): ExportRequest<PlainKeyValue>
export function decodeProtobuf(body: Uint8Array, options: DecodeOptions): ExportRequest<TextKeyValue>
export function decodeProtobuf(body: Uint8Array, options: DecodeOptions = {}): ExportRequest<TextKeyValue> {
  const buf = Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  const r = protobuf.Reader.create(buf)
  asText = options.scalarsAsText === true
  try {
    const resourceSpans: ResourceSpans[] = []
    while (r.pos < r.len) {
      const tag = r.uint32()
      if (tag >>> 3 === F.request.resourceSpans && (tag & 7) === LEN) {
        resourceSpans.push(readResourceSpans(r, buf, subEnd(r)))
      } else skip(r, tag)
    }
    return { resourceSpans }
  } catch (err) {
    if (err instanceof OtlpDecodeError) throw err
    const reason = err instanceof Error ? err.message : String(err)
    throw new OtlpDecodeError(`invalid protobuf: ${reason} at offset ${r.pos}`)
  }
}

const keys = new Interner(4096, 64)
const values = new Interner(4096, 32)

function readKey(r: Reader, buf: Buffer): string {
  const end = subEnd(r)
  const key = keys.get(buf, r.pos, end)
  r.pos = end
  return key
}

function readResourceSpans(r: Reader, buf: Buffer, end: number): ResourceSpans {
  const out: ResourceSpans = { resource: { attributes: [] }, scopeSpans: [], schemaUrl: '' }
  while (r.pos < end) {
    const tag = r.uint32()
    const field = tag >>> 3
    const wt = tag & 7
    if (field === F.resourceSpans.scopeSpans && wt === LEN) out.scopeSpans.push(readScopeSpans(r, buf, subEnd(r)))
    else if (field === F.resourceSpans.resource && wt === LEN) {
      const rend = subEnd(r)
      while (r.pos < rend) {
        const t = r.uint32()
        if (t >>> 3 === F.resource.attributes && (t & 7) === LEN)
          out.resource.attributes.push(readKeyValue(r, buf, subEnd(r), 0))
        else skip(r, t)
      }
      done(r, rend)
    } else if (field === F.resourceSpans.schemaUrl && wt === LEN) out.schemaUrl = readString(r, buf)
    else skip(r, tag)
  }
  done(r, end)
  return out
}

function readScopeSpans(r: Reader, buf: Buffer, end: number): ScopeSpans {
  const out: ScopeSpans = { scope: { name: '', version: '', attributes: [] }, spans: [], schemaUrl: '' }
  while (r.pos < end) {
    const tag = r.uint32()
    const field = tag >>> 3
    const wt = tag & 7
    if (field === F.scopeSpans.spans && wt === LEN) out.spans.push(readSpan(r, buf, subEnd(r)))
    else if (field === F.scopeSpans.scope && wt === LEN) {
      const send = subEnd(r)
      while (r.pos < send) {
        const t = r.uint32()
        const f = t >>> 3
        if ((t & 7) !== LEN) skip(r, t)
        else if (f === F.scope.name) out.scope.name = readString(r, buf)
        else if (f === F.scope.version) out.scope.version = readString(r, buf)
        else if (f === F.scope.attributes) out.scope.attributes.push(readKeyValue(r, buf, subEnd(r), 0))
        else skip(r, t)
      }
      done(r, send)
    } else if (field === F.scopeSpans.schemaUrl && wt === LEN) out.schemaUrl = readString(r, buf)
    else skip(r, tag)
  }
  done(r, end)
  return out
}

function readSpan(r: Reader, buf: Buffer, end: number): Span {
  const span: Span = {
    traceId: '',
    spanId: '',
    parentSpanId: '',
    traceState: '',
    flags: 0,
    name: '',
    kind: 0,
    startTimeUnixNano: '0',
    endTimeUnixNano: '0',
    attributes: [],
    events: [],
    links: [],
    status: { code: 0, message: '' },
  }
  const S = F.span
  while (r.pos < end) {
    const tag = r.uint32()
    const field = tag >>> 3
    const wt = tag & 7
    if (wt === LEN) {
      if (field === S.attributes) span.attributes.push(readKeyValue(r, buf, subEnd(r), 0))
      else if (field === S.traceId) span.traceId = readHex(r, buf)
      else if (field === S.spanId) span.spanId = readHex(r, buf)
      else if (field === S.parentSpanId) span.parentSpanId = readHex(r, buf)
      else if (field === S.name) span.name = readString(r, buf)
      else if (field === S.traceState) span.traceState = readString(r, buf)
      else if (field === S.events) span.events.push(readEvent(r, buf, subEnd(r)))
      else if (field === S.links) span.links.push(readLink(r, buf, subEnd(r)))
      else if (field === S.status) readStatus(r, buf, subEnd(r), span)
      else skip(r, tag)
    } else if (wt === FIXED64 && field === S.startTimeUnixNano) span.startTimeUnixNano = readFixed64(r)
    else if (wt === FIXED64 && field === S.endTimeUnixNano) span.endTimeUnixNano = readFixed64(r)
    else if (wt === VARINT && field === S.kind) span.kind = r.int32()
    else if (wt === FIXED32 && field === S.flags) span.flags = r.fixed32()
    else skip(r, tag)
  }
  done(r, end)
  return span
}

function readStatus(r: Reader, buf: Buffer, end: number, span: Span): void {
  while (r.pos < end) {
    const tag = r.uint32()
    const field = tag >>> 3
    const wt = tag & 7
    if (field === F.status.code && wt === VARINT) span.status.code = r.int32()
    else if (field === F.status.message && wt === LEN) span.status.message = readString(r, buf)
    else skip(r, tag)
  }
  done(r, end)
}

function readEvent(r: Reader, buf: Buffer, end: number): SpanEvent {
  const ev: SpanEvent = { timeUnixNano: '0', name: '', attributes: [] }
  while (r.pos < end) {
    const tag = r.uint32()
    const field = tag >>> 3
    const wt = tag & 7
    if (field === F.event.attributes && wt === LEN) ev.attributes.push(readKeyValue(r, buf, subEnd(r), 0))
    else if (field === F.event.name && wt === LEN) ev.name = readString(r, buf)
    else if (field === F.event.timeUnixNano && wt === FIXED64) ev.timeUnixNano = readFixed64(r)
    else skip(r, tag)
  }
  done(r, end)
  return ev
}

function readLink(r: Reader, buf: Buffer, end: number): SpanLink {
  const link: SpanLink = { traceId: '', spanId: '', traceState: '', attributes: [], flags: 0 }
  while (r.pos < end) {
    const tag = r.uint32()
    const field = tag >>> 3
    const wt = tag & 7
    if (wt === LEN) {
      if (field === F.link.traceId) link.traceId = readHex(r, buf)
      else if (field === F.link.spanId) link.spanId = readHex(r, buf)
      else if (field === F.link.traceState) link.traceState = readString(r, buf)
      else if (field === F.link.attributes) link.attributes.push(readKeyValue(r, buf, subEnd(r), 0))
      else skip(r, tag)
    } else if (wt === FIXED32 && field === F.link.flags) link.flags = r.fixed32()
    else skip(r, tag)
  }
  done(r, end)
  return link
}

function readKeyValue(r: Reader, buf: Buffer, end: number, depth: number): KeyValue {
  const kv: KeyValue = { key: '', value: asText && depth === 0 ? '' : null }
  while (r.pos < end) {
    const tag = r.uint32()
    const field = tag >>> 3
    if ((tag & 7) !== LEN) skip(r, tag)
    else if (field === F.keyValue.key) kv.key = readKey(r, buf)
    else if (field === F.keyValue.value)
      kv.value = asText && depth === 0 ? readValueText(r, buf, subEnd(r)) : readAnyValue(r, buf, subEnd(r), depth + 1)
    else skip(r, tag)
  }
  done(r, end)
  return kv
}

function readAnyValue(r: Reader, buf: Buffer, end: number, depth: number): AnyValue {
  if (depth > MAX_ANY_VALUE_DEPTH) {
    r.pos = end
    return { stringValue: TRUNCATED_VALUE }
  }
  const A = F.anyValue
  let value: AnyValue = {}
  // proto3 oneof: the last field on the wire wins.
  while (r.pos < end) {
    const tag = r.uint32()
    const field = tag >>> 3
    const wt = tag & 7
    if (wt === LEN) {
      if (field === A.stringValue) value = { stringValue: readString(r, buf) }
      else if (field === A.arrayValue) value = { arrayValue: { values: readArrayValue(r, buf, subEnd(r), depth) } }
      else if (field === A.kvlistValue) value = { kvlistValue: { values: readKeyValueList(r, buf, subEnd(r), depth) } }
      else if (field === A.bytesValue) {
        const bend = subEnd(r)
        value = { bytesValue: Uint8Array.prototype.slice.call(buf, r.pos, bend) }
        r.pos = bend
      } else skip(r, tag)
    } else if (wt === VARINT && field === A.intValue) value = { intValue: longValue(r.int64() as unknown as Long) }
    else if (wt === VARINT && field === A.boolValue) value = { boolValue: r.bool() }
    else if (wt === FIXED64 && field === A.doubleValue) value = { doubleValue: r.double() }
    else skip(r, tag)
  }
  done(r, end)
  return value
}

/**
 * A top-level attribute value as its stored text (what normalize/any-value.ts makes of the AnyValue
 * readAnyValue would return); arrays and kvlists stay AnyValue, as their text is JSON of their parts.
 */
function readValueText(r: Reader, buf: Buffer, end: number): string | AnyValue {
  const A = F.anyValue
  let value: string | AnyValue = ''
  // proto3 oneof: the last field on the wire wins.
  while (r.pos < end) {
    const tag = r.uint32()
    const field = tag >>> 3
    const wt = tag & 7
    if (wt === LEN) {
      if (field === A.stringValue) {
        const send = subEnd(r)
        value = values.get(buf, r.pos, send)
        r.pos = send
      } else if (field === A.arrayValue) value = { arrayValue: { values: readArrayValue(r, buf, subEnd(r), 1) } }
      else if (field === A.kvlistValue) value = { kvlistValue: { values: readKeyValueList(r, buf, subEnd(r), 1) } }
      else if (field === A.bytesValue) {
        const bend = subEnd(r)
        value = buf.toString('base64', r.pos, bend)
        r.pos = bend
      } else skip(r, tag)
    } else if (wt === VARINT && field === A.intValue) value = String(longValue(r.int64() as unknown as Long))
    else if (wt === VARINT && field === A.boolValue) value = r.bool() ? 'true' : 'false'
    else if (wt === FIXED64 && field === A.doubleValue) value = String(r.double())
    else skip(r, tag)
  }
  done(r, end)
  return value
}

function readArrayValue(r: Reader, buf: Buffer, end: number, depth: number): AnyValue[] {
  const values: AnyValue[] = []
  while (r.pos < end) {
    const tag = r.uint32()
    if (tag >>> 3 === F.arrayValue.values && (tag & 7) === LEN) values.push(readAnyValue(r, buf, subEnd(r), depth + 1))
    else skip(r, tag)
  }
  return values
}

function readKeyValueList(r: Reader, buf: Buffer, end: number, depth: number): KeyValue[] {
  const values: KeyValue[] = []
  while (r.pos < end) {
    const tag = r.uint32()
    if (tag >>> 3 === F.keyValueList.values && (tag & 7) === LEN) values.push(readKeyValue(r, buf, subEnd(r), depth))
    else skip(r, tag)
  }
  return values
}

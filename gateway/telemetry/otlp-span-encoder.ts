import type { HrTime, Link, SpanContext } from '@opentelemetry/api'
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base'
import { ProtobufWriter } from './protobuf-writer.ts'

export type Resource = ReadableSpan['resource']
export type Scope = ReadableSpan['instrumentationScope']

/**
 * OTLP/protobuf for spans, byte for byte what the SDK's ProtobufTraceSerializer writes (the tests
 * compare the two) in a fraction of its CPU: whole batches (`encodeSpans`), or span by span as they
 * end (`writeSpanEntry`) with the envelope written around them at export (`encodeRequest`).
 */

let lastSize = 1 << 16

export function encodeSpans(spans: ReadableSpan[]): Uint8Array {
  const groups = new Map<Resource, Map<Scope, SpansWriter>>()
  for (const [resource, scopes] of groupByResourceAndScope(spans)) {
    groups.set(
      resource,
      new Map(
        [...scopes].map(([scope, list]) => [
          scope,
          (w: ProtobufWriter) => {
            for (const span of list) writeSpanEntry(w, span)
          },
        ]),
      ),
    )
  }
  return encodeRequest(groups)
}

/** Writes one scope's spans: `writeSpanEntry` per span, or the bytes those calls wrote earlier. */
export type SpansWriter = (w: ProtobufWriter) => void

/** ExportTraceServiceRequest: resources, their scopes in order, each scope's spans as its writer writes them. */
export function encodeRequest(groups: Map<Resource, Map<Scope, SpansWriter>>): Uint8Array {
  const w = new ProtobufWriter(Math.ceil(lastSize * 1.25))
  for (const [resource, scopes] of groups) {
    w.tag(1, 2)
    const start = w.begin()
    writeResource(w, resource)
    for (const [scope, writeSpans] of scopes) {
      w.tag(2, 2)
      writeScopeSpans(w, scope, writeSpans)
    }
    if (resource.schemaUrl) {
      w.tag(3, 2)
      w.string(resource.schemaUrl)
    }
    w.end(start)
  }
  lastSize = Math.max(1 << 12, w.pos)
  return w.finish()
}

/** A span as one entry of ScopeSpans.spans: the same bytes wherever the scope's envelope is written later. */
export function writeSpanEntry(w: ProtobufWriter, span: ReadableSpan): void {
  w.tag(2, 2)
  writeSpan(w, span)
}

function groupByResourceAndScope(spans: ReadableSpan[]): Map<Resource, Map<Scope, ReadableSpan[]>> {
  const byResource = new Map<Resource, Map<Scope, ReadableSpan[]>>()
  for (const span of spans) {
    let byScope = byResource.get(span.resource)
    if (!byScope) byResource.set(span.resource, (byScope = new Map()))
    const list = byScope.get(span.instrumentationScope)
    if (list) list.push(span)
    else byScope.set(span.instrumentationScope, [span])
  }
  return byResource
}

function writeResource(w: ProtobufWriter, resource: Resource): void {
  w.tag(1, 2)
  const start = w.begin()
  if (resource.attributes) writeAttributes(w, resource.attributes, 1)
  w.tag(2, 0)
  w.varint(0)
  w.end(start)
}

function writeScopeSpans(w: ProtobufWriter, scope: Scope, writeSpans: SpansWriter): void {
  const start = w.begin()
  w.tag(1, 2)
  const scopeStart = w.begin()
  w.tag(1, 2)
  w.string(scope.name)
  if (scope.version) {
    w.tag(2, 2)
    w.string(scope.version)
  }
  const { attributes, droppedAttributesCount } = scope as Scope & {
    attributes?: Record<string, unknown>
    droppedAttributesCount?: number
  }
  if (attributes) writeAttributes(w, attributes, 3)
  if (droppedAttributesCount) {
    w.tag(4, 0)
    w.varint(droppedAttributesCount)
  }
  w.end(scopeStart)
  writeSpans(w)
  if (scope.schemaUrl) {
    w.tag(3, 2)
    w.string(scope.schemaUrl)
  }
  w.end(start)
}

function writeSpan(w: ProtobufWriter, span: ReadableSpan): void {
  const start = w.begin()
  const ctx = span.spanContext()
  writeIds(w, ctx)
  if (span.parentSpanContext?.spanId) {
    w.tag(4, 2)
    w.hex(span.parentSpanContext.spanId)
  }
  w.tag(5, 2)
  w.string(span.name)
  const kind = span.kind == null ? 0 : span.kind + 1 // OTLP's enum starts at UNSPECIFIED
  if (kind !== 0) {
    w.tag(6, 0)
    w.varint(kind)
  }
  w.tag(7, 1)
  writeTime(w, span.startTime)
  w.tag(8, 1)
  writeTime(w, span.endTime)
  if (span.attributes) writeAttributes(w, span.attributes, 9)
  w.tag(10, 0)
  w.varint(span.droppedAttributesCount)
  for (const event of span.events) {
    w.tag(11, 2)
    writeEvent(w, event)
  }
  w.tag(12, 0)
  w.varint(span.droppedEventsCount)
  for (const link of span.links) {
    w.tag(13, 2)
    writeLink(w, link)
  }
  w.tag(14, 0)
  w.varint(span.droppedLinksCount)
  w.tag(15, 2)
  const statusStart = w.begin()
  if (span.status.message) {
    w.tag(2, 2)
    w.string(span.status.message)
  }
  w.tag(3, 0)
  w.varint(span.status.code)
  w.end(statusStart)
  w.tag(16, 5)
  w.fixed32(spanFlags(ctx, span.parentSpanContext?.isRemote))
  w.end(start)
}

function writeEvent(w: ProtobufWriter, event: TimedEvent): void {
  const start = w.begin()
  w.tag(1, 1)
  writeTime(w, event.time)
  w.tag(2, 2)
  w.string(event.name)
  if (event.attributes) writeAttributes(w, event.attributes, 3)
  w.tag(4, 0)
  w.varint(event.droppedAttributesCount || 0)
  w.end(start)
}

function writeLink(w: ProtobufWriter, link: Link): void {
  const start = w.begin()
  const ctx = link.context
  writeIds(w, ctx)
  if (link.attributes) writeAttributes(w, link.attributes, 4)
  w.tag(5, 0)
  w.varint(link.droppedAttributesCount || 0)
  w.tag(6, 5)
  w.fixed32(spanFlags(ctx, ctx.isRemote))
  w.end(start)
}

/** Trace id, span id and trace state: fields 1–3 of both Span and Span.Link. */
function writeIds(w: ProtobufWriter, ctx: SpanContext): void {
  w.tag(1, 2)
  w.hex(ctx.traceId)
  w.tag(2, 2)
  w.hex(ctx.spanId)
  const traceState = ctx.traceState?.serialize()
  if (traceState) {
    w.tag(3, 2)
    w.string(traceState)
  }
}

/** OTLP span flags: the W3C trace flags plus "is_remote is known" and is_remote. */
function spanFlags(ctx: SpanContext, isRemote: boolean | undefined): number {
  return (ctx.traceFlags & 0xff) | 0x100 | (isRemote ? 0x200 : 0)
}

/** Nanoseconds since the epoch as fixed64, split so that no step leaves the exact range of a double. */
function writeTime(w: ProtobufWriter, [seconds, nanos]: HrTime): void {
  const lowSeconds = seconds % 0x10000
  const fromLow = lowSeconds * 1e9 + nanos // < 2^46
  const fromHigh = ((seconds - lowSeconds) / 0x10000) * 1e9 // to be shifted left by 16 bits
  const fromHighLow16 = fromHigh % 0x10000
  const fromLowLow32 = fromLow % 0x100000000
  const low = fromHighLow16 * 0x10000 + fromLowLow32 // < 2^33
  const carry = Math.floor(low / 0x100000000)
  w.fixed64(low % 0x100000000, (fromHigh - fromHighLow16) / 0x10000 + (fromLow - fromLowLow32) / 0x100000000 + carry)
}

function writeAttributes(w: ProtobufWriter, attributes: Record<string, unknown>, field: number): void {
  for (const key in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, key)) continue
    w.tag(field, 2)
    writeKeyValue(w, key, attributes[key])
  }
}

function writeKeyValue(w: ProtobufWriter, key: string, value: unknown): void {
  const start = w.begin()
  w.tag(1, 2)
  w.string(key)
  w.tag(2, 2)
  const valueStart = w.begin()
  writeAnyValue(w, value)
  w.end(valueStart)
  w.end(start)
}

const INT64_MIN = -(2 ** 63)
const INT64_END = 2 ** 63

function writeAnyValue(w: ProtobufWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.tag(1, 2)
      return w.string(value)
    case 'boolean':
      w.tag(2, 0)
      return w.varint(value ? 1 : 0)
    case 'number':
      if (Number.isInteger(value) && value >= INT64_MIN && value < INT64_END) {
        w.tag(3, 0)
        return w.varint(value)
      }
      w.tag(4, 1)
      return w.double(value)
  }
  if (value instanceof Uint8Array) {
    w.tag(7, 2)
    w.bytes(value)
  } else if (Array.isArray(value)) {
    w.tag(5, 2)
    const start = w.begin()
    for (const item of value) {
      w.tag(1, 2)
      const itemStart = w.begin()
      writeAnyValue(w, item)
      w.end(itemStart)
    }
    w.end(start)
  } else if (typeof value === 'object' && value !== null) {
    w.tag(6, 2)
    const start = w.begin()
    for (const key in value) {
      if (!Object.prototype.hasOwnProperty.call(value, key)) continue
      w.tag(1, 2)
      writeKeyValue(w, key, (value as Record<string, unknown>)[key])
    }
    w.end(start)
  }
}

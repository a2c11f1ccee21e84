// Re-encodes a stored OTLP request for a destination that wants the other wire format. The bytes
// are decoded with the receiver's own decoders (so snake_case JSON, base64 ids and enum names come
// out canonical) and encoded as the OTLP spec writes them: protobuf through trace.proto, JSON with
// hex ids, 64-bit integers as strings and base64 bytes.
import { gunzipSync, gzipSync } from 'node:zlib'
import { decodeJson, decodeProtobuf, type ExportRequest } from '../otlp/decode.ts'
import { messageType } from '../otlp/schema.ts'
import type { ForwardItem } from './destination.ts'

export type WireFormat = 'protobuf' | 'json'

export const CONTENT_TYPES: Record<WireFormat, string> = {
  protobuf: 'application/x-protobuf',
  json: 'application/json',
}

const requestType = messageType('ExportTraceServiceRequest')
const ID_FIELDS = new Set(['traceId', 'spanId', 'parentSpanId'])

export function formatOf(contentType: string): WireFormat {
  return contentType === CONTENT_TYPES.json ? 'json' : 'protobuf'
}

/** The request in `to`'s wire format, compressed as it arrived; the item itself when it already is. */
export function convertItem(item: ForwardItem, to: WireFormat): ForwardItem {
  if (formatOf(item.contentType) === to) return item
  const gzip = item.contentEncoding === 'gzip'
  const raw = gzip ? gunzipSync(item.body) : item.body
  const request = item.contentType === CONTENT_TYPES.json ? decodeJson(raw.toString('utf8')) : decodeProtobuf(raw)
  const encoded = to === 'json' ? Buffer.from(encodeJson(request), 'utf8') : encodeProtobuf(request)
  return {
    body: gzip ? gzipSync(encoded) : encoded,
    contentType: CONTENT_TYPES[to],
    contentEncoding: item.contentEncoding,
  }
}

/** OTLP/JSON: the decoded model is already canonical except for protobuf bytes and non-finite doubles. */
export function encodeJson(request: ExportRequest): string {
  return JSON.stringify(request, function (this: Record<string, unknown>, key, value: unknown) {
    const raw = this[key] // before Buffer's toJSON turned it into { type, data }
    if (raw instanceof Uint8Array) return Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('base64')
    if (typeof value === 'number' && !Number.isFinite(value)) return String(value) // "NaN", "Infinity", "-Infinity"
    return value
  })
}

/** OTLP protobuf: hex ids back to bytes; protobufjs takes 64-bit decimal strings and base64 bytes as they are. */
export function encodeProtobuf(request: ExportRequest): Buffer {
  const withByteIds = JSON.parse(encodeJson(request), (key, value: unknown) =>
    ID_FIELDS.has(key) && typeof value === 'string' ? Buffer.from(value, 'hex') : value,
  ) as Record<string, unknown>
  return Buffer.from(requestType.encode(requestType.fromObject(withByteIds)).finish())
}

// The OTLP trace decoding face used by the receiver: protobuf and JSON bodies into one
// ExportRequest shape, and the protobuf ExportTraceServiceResponse.
import { messageType } from './schema.ts'

export { OtlpDecodeError } from './errors.ts'
export type {
  AnyValue,
  ExportRequest,
  InstrumentationScope,
  KeyValue,
  ResourceSpans,
  ScopeSpans,
  Span,
  SpanEvent,
  SpanLink,
  SpanStatus,
  TextKeyValue,
} from './model.ts'
export { decodeProtobuf, type DecodeOptions } from './decode-protobuf.ts'
export { decodeJson } from './decode-json.ts'

const responseType = messageType('ExportTraceServiceResponse')

/** ExportTraceServiceResponse as protobuf bytes; partialSuccess only when some spans were rejected. */
export function encodeResponseProtobuf(partial?: { rejectedSpans: number; errorMessage: string }): Uint8Array {
  if (!partial || (partial.rejectedSpans === 0 && partial.errorMessage === '')) return new Uint8Array(0)
  return responseType
    .encode({ partialSuccess: { rejectedSpans: partial.rejectedSpans, errorMessage: partial.errorMessage } })
    .finish()
}

// PLACEHOLDER — the OTLP decoding work replaces this file (keep these exports and signatures).
export class OtlpDecodeError extends Error {}

/** The decoded ExportTraceServiceRequest (shape chosen by the decoder; both protobuf and JSON produce it). */
export interface ExportRequest {
  resourceSpans: unknown[]
}

export function decodeProtobuf(_body: Uint8Array): ExportRequest {
  throw new OtlpDecodeError('not implemented')
}

export function decodeJson(_body: string): ExportRequest {
  throw new OtlpDecodeError('not implemented')
}

/** ExportTraceServiceResponse as protobuf bytes; partialSuccess only when some spans were rejected. */
export function encodeResponseProtobuf(_partial?: { rejectedSpans: number; errorMessage: string }): Uint8Array {
  return new Uint8Array()
}

import protobuf from 'protobufjs'

/** gRPC status codes used in OTLP/HTTP error bodies (google.rpc.Status). */
export function grpcCodeFor(httpStatus: number): number {
  switch (httpStatus) {
    case 401:
      return 16 // UNAUTHENTICATED
    case 429:
      return 8 // RESOURCE_EXHAUSTED
    case 503:
      return 14 // UNAVAILABLE
    case 500:
      return 13 // INTERNAL
    default:
      return 3 // INVALID_ARGUMENT
  }
}

/** google.rpc.Status { int32 code = 1; string message = 2; } — the OTLP error body for protobuf clients. */
export function encodeStatus(code: number, message: string): Uint8Array {
  return protobuf.Writer.create().uint32(8).int32(code).uint32(18).string(message).finish()
}

/** A request body that is not a valid OTLP ExportTraceServiceRequest; the message says what is wrong. */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError'
}

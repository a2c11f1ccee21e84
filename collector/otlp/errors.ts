/** A request body that is not a valid OTLP ExportTraceServiceRequest; the message says what is wrong. */
export class OtlpDecodeError extends Error {
  override name = 'OtlpDecodeError'
}

/**
 * Every reason the OTLP receiver refuses a request for (DESIGN rule 4): its HTTP status and whether
 * the exporter should send it again (then with a Retry-After). The reason is the label of
 * `loopgate_collector_requests_refused_total{reason}`. Closed: a refusal takes only these.
 */
export const REFUSALS = {
  bad_request: { status: 400, retryable: false },
  empty: { status: 400, retryable: false },
  bad_gzip: { status: 400, retryable: false },
  malformed: { status: 400, retryable: false },
  unauthorized: { status: 401, retryable: false },
  too_large: { status: 413, retryable: false },
  encoding: { status: 415, retryable: false },
  content_type: { status: 415, retryable: false },
  overloaded: { status: 429, retryable: true },
  backpressure: { status: 429, retryable: true },
  internal: { status: 500, retryable: false },
  unavailable: { status: 503, retryable: true },
} as const satisfies Record<string, { status: number; retryable: boolean }>
export type RefusalReason = keyof typeof REFUSALS

/** The longest Retry-After ingest ever asks for: the JS exporter gives up when a retry would pass its 10 s deadline. */
export const MAX_RETRY_AFTER_SECONDS = 5

import type { RefusalReason } from '../otlp/errors.ts'

/**
 * Why ingest did not store a request: over capacity (`overloaded` at admission, `backpressure` from
 * the buffer: HTTP 429) or storage failed (`unavailable`: HTTP 503); statuses in REFUSALS. All are
 * retryable: nothing of the request was acknowledged, and a re-send is safe because stored spans are
 * deduplicated.
 */
export class IngestError extends Error {
  override name = 'IngestError'
  readonly retryAfterSeconds: number

  constructor(
    /** The refusal reason (and metrics label). */
    readonly reason: Extract<RefusalReason, 'overloaded' | 'backpressure' | 'unavailable'>,
    message: string,
    /** Seconds; clamped to 1…MAX_RETRY_AFTER_SECONDS. */
    retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.retryAfterSeconds = clampRetryAfter(retryAfterSeconds)
  }
}

const clampRetryAfter = (seconds: number) =>
  Math.min(
    MAX_RETRY_AFTER_SECONDS,
    Math.max(1, Math.ceil(Number.isFinite(seconds) ? seconds : MAX_RETRY_AFTER_SECONDS)),
  )

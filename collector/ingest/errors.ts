/** The longest Retry-After ingest ever asks for: the JS exporter gives up when a retry would pass its 10 s deadline. */
export const MAX_RETRY_AFTER_SECONDS = 5

/**
 * Why ingest did not store a request. `busy`: it is over capacity (HTTP 429); `unavailable`:
 * storage failed (HTTP 503). Both are retryable: nothing of the request was acknowledged, and a
 * re-send is safe because stored spans are deduplicated.
 */
export class IngestError extends Error {
  override name = 'IngestError'
  readonly retryAfterSeconds: number

  constructor(
    readonly kind: 'busy' | 'unavailable',
    message: string,
    /** Seconds; clamped to 1…MAX_RETRY_AFTER_SECONDS. */
    retryAfterSeconds: number,
    /** The metrics label for the refusal. */
    readonly reason: string,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.retryAfterSeconds = clampRetryAfter(retryAfterSeconds)
  }
}

const clampRetryAfter = (seconds: number) =>
  Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(Number.isFinite(seconds) ? seconds : MAX_RETRY_AFTER_SECONDS)))

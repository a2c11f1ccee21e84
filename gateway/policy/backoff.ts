/** Retry-After as milliseconds: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(header: string | string[] | undefined, now = Date.now()): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (!value) return undefined
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000)
  const date = Date.parse(value)
  return Number.isFinite(date) ? Math.max(0, date - now) : undefined
}

/**
 * Delay before retry number `retry` (0-based): the server's Retry-After when given, else exponential
 * from baseDelayMs; ± jitter either way. Undefined when the wait would exceed maxDelayMs.
 */
export function retryDelay(
  retry: number,
  retryAfter: number | undefined,
  p: { baseDelayMs: number; maxDelayMs: number; jitter: number },
  random = Math.random,
): number | undefined {
  const base = retryAfter ?? p.baseDelayMs * 2 ** retry
  if (base > p.maxDelayMs) return undefined
  const jittered = base * (1 + p.jitter * (random() * 2 - 1))
  // Never earlier than the server asked for.
  return Math.min(p.maxDelayMs, Math.max(retryAfter ?? 0, Math.round(jittered)))
}

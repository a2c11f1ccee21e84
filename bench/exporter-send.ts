import { Agent, request } from 'node:http'

/**
 * One export as @opentelemetry/otlp-exporter-base 0.223 does it (retrying-transport.js,
 * http-transport-utils.js): a deadline of `timeoutMillis` for the whole export; each attempt
 * times out when its socket idles for the time left; 429/502/503/504 are retried at most 5 times
 * after `Retry-After` (else 1 s × 1.5ⁿ backoff, ±20 %, ≤ 5 s), unless that delay passes the
 * deadline — then the export fails. Here with pre-serialized bodies and every attempt recorded.
 */
export interface Attempt {
  status: number | 'timeout' | 'error'
  ms: number
  retryAfter?: string
}

export interface ExportOutcome {
  ok: boolean
  attempts: Attempt[]
  /** Why it failed: the last attempt's status, or 'deadline' when a Retry-After passed the deadline. */
  failure?: string
}

const MAX_RETRIES = 5
const retryable = (s: number) => s === 429 || s === 502 || s === 503 || s === 504

export async function exportOnce(
  url: string,
  agent: Agent,
  body: Buffer,
  timeoutMillis = 10_000,
): Promise<ExportOutcome> {
  const deadline = Date.now() + timeoutMillis
  const attempts: Attempt[] = []
  let backoff = 1000
  for (let retries = 0; ; retries++) {
    const attempt = await post(url, agent, body, Math.max(1, deadline - Date.now()))
    attempts.push(attempt)
    if (attempt.status === 200) return { ok: true, attempts }
    const canRetry = attempt.status === 'timeout' || attempt.status === 'error' || retryable(attempt.status)
    if (!canRetry || retries >= MAX_RETRIES) return { ok: false, attempts, failure: String(attempt.status) }
    const fallback = Math.max(Math.min(backoff * (1 + (Math.random() * 0.4 - 0.2)), 5000), 0)
    backoff *= 1.5
    const wait = retryAfterMs(attempt.retryAfter) ?? fallback
    if (wait > deadline - Date.now())
      return { ok: false, attempts, failure: attempt.status === 'timeout' ? 'timeout' : 'deadline' }
    await new Promise((r) => setTimeout(r, wait))
  }
}

function retryAfterMs(header: string | undefined): number | undefined {
  if (header == null) return undefined
  const seconds = Number.parseInt(header, 10)
  if (Number.isInteger(seconds)) return seconds > 0 ? seconds * 1000 : -1
  const delay = new Date(header).getTime() - Date.now()
  return delay >= 0 ? delay : 0
}

function post(url: string, agent: Agent, body: Buffer, idleMs: number): Promise<Attempt> {
  const started = performance.now()
  return new Promise((resolve) => {
    const done = (a: Omit<Attempt, 'ms'>) => resolve({ ...a, ms: performance.now() - started })
    const req = request(
      url,
      { method: 'POST', agent, headers: { 'content-type': 'application/x-protobuf' } },
      (res) => {
        res.resume()
        res.on('end', () => done({ status: res.statusCode ?? 0, retryAfter: res.headers['retry-after'] }))
        res.on('error', () => done({ status: 'error' }))
      },
    )
    req.setTimeout(idleMs, () => {
      req.destroy()
      done({ status: 'timeout' })
    })
    req.on('error', () => done({ status: 'error' }))
    req.write(body) // the SDK streams the body: chunked, no Content-Length
    req.end()
  })
}

import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { Pool } from 'undici'
import { retryAfterMs } from '../policy/backoff.ts'

/** What one POST of an encoded batch came to. */
export type SendOutcome =
  /** 2xx: stored. `rejectedSpans` > 0 when the endpoint refused some of them (OTLP partial success). */
  | { kind: 'stored'; rejectedSpans: number; message: string }
  /** Not stored, or not known to be (timeout, connection, 429, 5xx, 401…): worth sending again. */
  | { kind: 'retry'; retryAfterMs: number | undefined; reason: string }
  /** The batch itself is wrong for this endpoint: sending it again cannot succeed. */
  | { kind: 'refused'; status: number; reason: string }

/**
 * 400 (undecodable), 413 (too large), 415 (unsupported type) describe the batch; every other refusal
 * (401/403 wrong token, 404 wrong URL, 429/5xx load or outage) may pass once someone fixes the
 * endpoint, so those batches are kept and tried again.
 */
export const PERMANENT_STATUSES: ReadonlySet<number> = new Set([400, 413, 415])

const MAX_REASON = 300

/**
 * One OTLP/HTTP protobuf endpoint over a keep-alive undici pool. One attempt per `send`: retries,
 * backoff and Retry-After are the spooling transport's, which needs the status and the header the
 * SDK's export delegate keeps to itself.
 */
export class OtlpHttpSender {
  private readonly pool: Pool
  private readonly path: string
  private readonly headers: Record<string, string>
  private readonly open = new Set<AbortController>()

  constructor(
    readonly url: string,
    headers: Record<string, string>,
    connections: number,
  ) {
    const u = new URL(url)
    this.pool = new Pool(u.origin, { connections, keepAliveTimeout: 30_000 })
    this.path = `${u.pathname}${u.search}`
    this.headers = { ...headers, 'content-type': 'application/x-protobuf', 'user-agent': 'loopgate-gateway' }
  }

  /** `stop` ends this one request early (it then resolves as `retry`). */
  async send(body: Uint8Array, timeoutMs: number, stop?: AbortSignal): Promise<SendOutcome> {
    const control = new AbortController()
    const timer = setTimeout(() => control.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs)
    const onStop = () => control.abort(stop?.reason)
    if (stop?.aborted) onStop()
    else stop?.addEventListener('abort', onStop, { once: true })
    this.open.add(control)
    try {
      const res = await this.pool.request({
        path: this.path,
        method: 'POST',
        headers: this.headers,
        body,
        signal: control.signal,
      })
      const answer = new Uint8Array(await res.body.arrayBuffer())
      if (res.statusCode >= 200 && res.statusCode < 300) return stored(answer, res.headers['content-type'])
      const reason = `${this.url} answered ${res.statusCode}: ${Buffer.from(answer).toString('utf8', 0, MAX_REASON)}`
      if (PERMANENT_STATUSES.has(res.statusCode)) return { kind: 'refused', status: res.statusCode, reason }
      return { kind: 'retry', retryAfterMs: retryAfterMs(res.headers['retry-after']), reason }
    } catch (err) {
      const e = (control.signal.aborted ? control.signal.reason : err) as { code?: string; message?: string }
      return {
        kind: 'retry',
        retryAfterMs: undefined,
        reason: `${this.url}: ${e.code ? `${e.code} ` : ''}${e.message ?? String(e)}`,
      }
    } finally {
      clearTimeout(timer)
      stop?.removeEventListener('abort', onStop)
      this.open.delete(control)
    }
  }

  /** Ends every open request now; each resolves as `retry` (its batch may or may not have been stored). */
  abortAll(reason: string): void {
    for (const c of this.open) c.abort(new Error(reason))
  }

  close(): Promise<void> {
    return this.pool.destroy()
  }
}

/** A 2xx answer: OTLP partial success says how many spans the endpoint rejected anyway. */
function stored(answer: Uint8Array, contentType: string | string[] | undefined): SendOutcome {
  if (answer.length === 0) return { kind: 'stored', rejectedSpans: 0, message: '' }
  try {
    const type = String(contentType ?? '')
    const partial = type.includes('json')
      ? (
          JSON.parse(Buffer.from(answer).toString('utf8')) as {
            partialSuccess?: { rejectedSpans?: string | number; errorMessage?: string }
          }
        ).partialSuccess
      : ProtobufTraceSerializer.deserializeResponse(answer).partialSuccess
    return { kind: 'stored', rejectedSpans: Number(partial?.rejectedSpans ?? 0), message: partial?.errorMessage ?? '' }
  } catch {
    return { kind: 'stored', rejectedSpans: 0, message: '' } // an unreadable answer to a 2xx is still an acknowledgement
  }
}

import type { Logger } from 'pino'
import type { ForwardDestination } from '../config.ts'
import type { ForwardMetrics } from './metrics.ts'

/** One stored OTLP request as it arrived on the wire (possibly gzip). */
export interface ForwardItem {
  body: Buffer
  contentType: string
  contentEncoding?: string
}

interface Queued extends ForwardItem {
  attempts: number
}

const BASE_BACKOFF_MS = 250
const MAX_BACKOFF_MS = 30_000
const MAX_RETRY_AFTER_MS = 60_000
/** Statuses the OTLP/HTTP spec calls retryable; any other non-2xx is a refusal. */
const RETRYABLE = new Set([429, 502, 503, 504])

/**
 * A bounded byte queue in front of one OTLP/HTTP destination, sent by one loop in order. Retries
 * (429/502/503/504, network errors, timeouts) back off exponentially with full jitter, or wait the
 * Retry-After the destination gave; other answers drop the request as refused.
 */
export class Destination {
  readonly label: string
  readonly protocol: ForwardDestination['protocol']
  private readonly queue: Queued[] = []
  private queuedBytes = 0
  private running = false
  private closing = false
  private readonly abort = new AbortController()
  private wake?: () => void
  private idle?: () => void
  private readonly headers: Record<string, string>

  constructor(
    private readonly config: ForwardDestination,
    private readonly metrics: ForwardMetrics,
    private readonly logger: Logger,
  ) {
    const url = new URL(config.url)
    this.label = `${url.host}${url.pathname}`
    this.protocol = config.protocol
    this.headers = { ...config.headers }
    for (const [header, env] of Object.entries(config.headersFromEnv)) {
      const value = process.env[env]
      if (value === undefined)
        throw new Error(`collector.forward: header "${header}" of ${this.label} names ${env}, which is not set`)
      this.headers[header] = value
    }
  }

  /** Whether a request whose stored spans belong to these tenants goes here; 'mixed' when only some of them may. */
  accepts(tenants: readonly string[]): boolean | 'mixed' {
    const allowed = this.config.tenants
    if (!allowed) return true
    const inside = tenants.filter((t) => allowed.includes(t)).length
    if (inside === tenants.length) return true
    return inside === 0 ? false : 'mixed'
  }

  offer(item: ForwardItem): void {
    if (this.closing) return this.drop('shutdown')
    if (this.queuedBytes + item.body.length > this.config.maxQueueBytes) return this.drop('queue_full')
    this.queue.push({ ...item, attempts: 0 })
    this.queuedBytes += item.body.length
    this.metrics.queueBytes.inc({ destination: this.label }, item.body.length)
    if (!this.running) {
      this.running = true
      setImmediate(() => void this.run())
    }
  }

  /** Waits up to `graceMs` for the queue to empty, then abandons the rest (counted as shutdown). */
  async close(graceMs: number): Promise<void> {
    this.closing = true
    if (this.running) {
      const drained = new Promise<void>((resolve) => (this.idle = resolve))
      let timer: NodeJS.Timeout | undefined
      await Promise.race([drained, new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))])
      clearTimeout(timer)
    }
    this.abort.abort()
    this.wake?.()
    for (const item of this.queue.splice(0)) this.dequeued(item, 'shutdown')
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.abort.signal.aborted) {
        const item = this.queue[0]!
        const waitMs = await this.attempt(item)
        if (this.abort.signal.aborted) break
        if (waitMs === undefined) continue
        await this.sleep(waitMs)
      }
    } finally {
      this.running = false
      this.idle?.()
    }
  }

  /** Sends the head of the queue once; returns how long to wait before retrying it, or undefined when it left the queue. */
  private async attempt(item: Queued): Promise<number | undefined> {
    item.attempts++
    let status: number | undefined
    let retryAfter: string | null = null
    try {
      const headers: Record<string, string> = { ...this.headers, 'content-type': item.contentType }
      if (item.contentEncoding && item.contentEncoding !== 'identity')
        headers['content-encoding'] = item.contentEncoding
      const res = await fetch(this.config.url, {
        method: 'POST',
        body: item.body,
        headers,
        signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.config.timeoutMs)]),
      })
      status = res.status
      retryAfter = res.headers.get('retry-after')
      await res.body?.cancel().catch(() => {})
    } catch (err) {
      if (this.abort.signal.aborted) return undefined // close() counts it
      this.logger.debug({ err, destination: this.label }, 'forwarding attempt failed')
    }
    if (status !== undefined && status >= 200 && status < 300) {
      this.shift(item)
      this.metrics.sent.inc({ destination: this.label })
      return undefined
    }
    if (status !== undefined && !RETRYABLE.has(status)) {
      this.logger.warn({ destination: this.label, status }, 'forwarding destination refused a request; dropped')
      this.shift(item, 'refused')
      return undefined
    }
    if (item.attempts >= this.config.maxAttempts) {
      this.logger.warn(
        { destination: this.label, status, attempts: item.attempts },
        'forwarding gave up on a request; dropped',
      )
      this.shift(item, 'retries_exhausted')
      return undefined
    }
    this.metrics.retried.inc({ destination: this.label })
    return (
      retryAfterMs(retryAfter) ?? Math.random() * Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (item.attempts - 1))
    )
  }

  private shift(item: Queued, dropReason?: string): void {
    this.queue.shift()
    this.dequeued(item, dropReason)
  }

  private dequeued(item: Queued, dropReason?: string): void {
    this.queuedBytes -= item.body.length
    this.metrics.queueBytes.dec({ destination: this.label }, item.body.length)
    if (dropReason) this.drop(dropReason)
  }

  /** Counts a request not forwarded here for a reason decided before queueing. */
  reject(reason: 'partially_rejected' | 'mixed_tenants' | 'conversion_failed'): void {
    this.drop(reason)
  }

  private drop(reason: string): void {
    this.metrics.dropped.inc({ destination: this.label, reason })
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms)
      this.wake = () => {
        clearTimeout(timer)
        resolve()
      }
    })
  }
}

/** Retry-After in seconds or as an HTTP date, capped; undefined when absent or unreadable. */
function retryAfterMs(value: string | null): number | undefined {
  if (!value) return undefined
  const seconds = Number(value)
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now()
  if (!Number.isFinite(ms)) return undefined
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(0, ms))
}

import { IngestError, MAX_RETRY_AFTER_SECONDS } from './errors.ts'

export interface AdmissionSettings {
  /** Admit a request only if the work ahead of it (and it) should finish within this many seconds. */
  maxQueueSeconds: number
  /** Request bodies in flight at most (bytes on the wire): bounds the memory ingest holds. */
  maxInFlightBytes: number
}

export interface Ticket {
  /** The body's real size once read (admission used an estimate for chunked bodies). */
  resize(bytes: number): void
  /** The request is answered; `stored`: its spans were written (counts toward the measured rate). */
  done(stored: boolean): void
}

const SAMPLE_MS = 500

/**
 * Admission control: refuses a request before its body is read when it could not be acknowledged
 * in time, instead of queueing it. The work in flight is counted in body bytes; the rate at which
 * ingest finishes bytes is measured while it is busy. A request is refused (429, a Retry-After of
 * 1–5 s) when the bytes in flight would exceed `maxInFlightBytes`, when the predicted wait
 * (bytes ahead ÷ rate) exceeds `maxQueueSeconds`, or when the oldest request in flight is already
 * older than that (the rate has dropped). A lone request is always admitted, so ingest progresses.
 */
export class AdmissionControl {
  private inFlightBytes = 0
  private readonly started = new Map<object, number>()
  private bytesPerSecond: number | undefined
  private busySince: number | undefined
  private sampleBusyMs = 0
  private sampleBytes = 0
  private averageBody = 256 * 1024

  constructor(private readonly settings: AdmissionSettings, private readonly now = () => performance.now()) {}

  get inFlight(): { requests: number; bytes: number } {
    return { requests: this.started.size, bytes: this.inFlightBytes }
  }

  /** `declaredBytes`: the Content-Length, when the client sent one. Throws IngestError('busy') to refuse. */
  admit(declaredBytes: number | undefined): Ticket {
    const now = this.now()
    let bytes = declaredBytes ?? this.averageBody
    if (this.started.size > 0) this.refuseIfLate(now, bytes)
    if (this.started.size === 0) this.busySince = now
    const token = {}
    this.started.set(token, now)
    this.inFlightBytes += bytes
    let open = true
    return {
      resize: (real) => {
        if (!open) return
        this.inFlightBytes += real - bytes
        bytes = real
        this.averageBody = 0.8 * this.averageBody + 0.2 * real
      },
      done: (stored) => {
        if (!open) return
        open = false
        const end = this.now()
        if (stored) this.measure(bytes, end)
        this.started.delete(token)
        this.inFlightBytes -= bytes
        if (this.started.size === 0 && this.busySince !== undefined) {
          this.sampleBusyMs += end - this.busySince
          this.busySince = undefined
        }
      },
    }
  }

  private refuseIfLate(now: number, bytes: number): void {
    const limit = this.settings.maxQueueSeconds
    const oldest = (now - this.started.values().next().value!) / 1000
    const wait = this.bytesPerSecond ? (this.inFlightBytes + bytes) / this.bytesPerSecond : 0
    let why: string | undefined
    if (this.inFlightBytes + bytes > this.settings.maxInFlightBytes) why = `${this.settings.maxInFlightBytes} bytes of requests are in flight`
    else if (wait > limit) why = `the requests ahead would take ${wait.toFixed(1)} s`
    else if (oldest > limit) why = `a request has waited ${oldest.toFixed(1)} s`
    if (!why) return
    const drain = Math.max(wait, oldest, 1)
    // Spread the retries of many exporters refused at once over a few seconds.
    const base = Math.min(MAX_RETRY_AFTER_SECONDS, Math.ceil(drain))
    const retryAfter = base + Math.floor(Math.random() * (Math.min(MAX_RETRY_AFTER_SECONDS, base + 2) - base + 1))
    throw new IngestError('busy', `ingest is at capacity (${why}); retry after the given delay`, retryAfter, 'overloaded')
  }

  /** The rate at which ingest finishes bytes, sampled over ≥ 500 ms of busy time (idle time would understate it). */
  private measure(bytes: number, now: number): void {
    this.sampleBytes += bytes
    const elapsed = this.sampleBusyMs + (this.busySince === undefined ? 0 : now - this.busySince)
    if (elapsed < SAMPLE_MS) return
    const rate = (this.sampleBytes * 1000) / elapsed
    this.bytesPerSecond = this.bytesPerSecond === undefined ? rate : 0.5 * this.bytesPerSecond + 0.5 * rate
    this.sampleBusyMs = 0
    this.sampleBytes = 0
    if (this.busySince !== undefined) this.busySince = now
  }
}

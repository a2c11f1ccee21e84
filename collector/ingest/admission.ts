import { IngestError, MAX_RETRY_AFTER_SECONDS } from './errors.ts'

export interface AdmissionSettings {
  /** Target time from admission to answer; the admitted work shrinks when answers take longer. */
  maxQueueSeconds: number
  /** Request bodies in flight at most (bytes on the wire): bounds the memory ingest holds. */
  maxInFlightBytes: number
}

export interface Ticket {
  /** The body's real size once read (admission used an estimate for chunked bodies). */
  resize(bytes: number): void
  /** The request is answered; `stored`: its spans were written (its latency steers the limit). */
  done(stored: boolean): void
}

/** The limit moves at most once per this many ms, so one burst of slow answers counts once. */
const ADJUST_MS = 500

/**
 * Admission control: refuses a request before its body is read when it could not be answered in
 * time, instead of queueing it. The work in flight is counted in body bytes (Content-Length, or
 * the recent average for chunked bodies until the body is read) under a limit steered by the
 * answers' latency (AIMD, as TCP and Netflix's concurrency-limits do; counted from the moment the
 * body was read, as a client's slow upload is not ingest's work): a stored request answered
 * later than `maxQueueSeconds` cuts the limit by a fifth; one answered in time while the limit was
 * nearly used raises it by about one request per round of answers. The limit never exceeds `maxInFlightBytes` (the
 * memory bound). A request is also refused while the oldest one in flight is older than
 * `maxQueueSeconds` since its body was read (ingest has stalled). A lone request is always admitted, so ingest progresses.
 * Refusals are 429 with a Retry-After of 1–5 s, spread so that refused exporters do not return together.
 */
export class AdmissionControl {
  private inFlightBytes = 0
  /** Requests in flight → when their body was read (undefined while it is still arriving). */
  private readonly started = new Map<object, number | undefined>()
  private limitBytes: number
  private lastAdjust = -Infinity
  private averageBody = 1024 * 1024

  constructor(
    private readonly settings: AdmissionSettings,
    private readonly now = () => performance.now(),
  ) {
    this.limitBytes = settings.maxInFlightBytes / 2
  }

  get inFlight(): { requests: number; bytes: number; limitBytes: number } {
    return { requests: this.started.size, bytes: this.inFlightBytes, limitBytes: this.limitBytes }
  }

  /** `declaredBytes`: the Content-Length, when the client sent one. Throws IngestError('busy') to refuse. */
  admit(declaredBytes: number | undefined): Ticket {
    const now = this.now()
    let bytes = declaredBytes ?? this.averageBody
    if (this.started.size > 0) this.refuseIfFull(now, bytes)
    const token = {}
    this.started.set(token, undefined)
    this.inFlightBytes += bytes
    let open = true
    return {
      resize: (real) => {
        if (!open) return
        this.started.set(token, this.now())
        this.inFlightBytes += real - bytes
        bytes = real
        this.averageBody = 0.8 * this.averageBody + 0.2 * real
      },
      done: (stored) => {
        if (!open) return
        open = false
        const usedBefore = this.inFlightBytes
        const readAt = this.started.get(token)
        this.started.delete(token)
        this.inFlightBytes -= bytes
        if (stored && readAt !== undefined) this.adjust(readAt, usedBefore)
      },
    }
  }

  private refuseIfFull(now: number, bytes: number): void {
    const target = this.settings.maxQueueSeconds
    // Time since the body was read: a client's slow upload is not ingest's work.
    let oldestRead = now
    for (const readAt of this.started.values()) if (readAt !== undefined && readAt < oldestRead) oldestRead = readAt
    const oldest = (now - oldestRead) / 1000
    let why: string | undefined
    if (this.inFlightBytes + bytes > this.limitBytes)
      why = `${Math.round(this.inFlightBytes / 1024)} KiB of requests are in flight, the limit is ${Math.round(this.limitBytes / 1024)} KiB`
    else if (oldest > target) why = `a request has waited ${oldest.toFixed(1)} s`
    if (!why) return
    // Short and spread: a retry must still fit in the exporter's deadline (10 s in the JS SDK, which
    // gives up when Retry-After passes it), and exporters refused together must not return together.
    const spread = Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(2, Math.ceil(oldest)))
    const retryAfter = 1 + Math.floor(Math.random() * spread)
    throw new IngestError('overloaded', `ingest is at capacity (${why}); retry after the given delay`, retryAfter)
  }

  /** AIMD on the time from reading a stored request's body to its answer. */
  private adjust(readAt: number, usedBefore: number): void {
    const now = this.now()
    const seconds = (now - readAt) / 1000
    if (seconds > this.settings.maxQueueSeconds) {
      if (now - this.lastAdjust < ADJUST_MS) return
      this.lastAdjust = now
      this.limitBytes = Math.max(this.averageBody, this.limitBytes * 0.8)
    } else if (usedBefore + this.averageBody > this.limitBytes * 0.8) {
      // About one request more per round of answers (each answer adds its share).
      this.limitBytes = Math.min(
        this.settings.maxInFlightBytes,
        this.limitBytes + (this.averageBody * this.averageBody) / this.limitBytes,
      )
    }
  }
}

import { context, diag, TraceFlags } from '@opentelemetry/api'
import { ExportResultCode, globalErrorHandler, suppressTracing, type ExportResult } from '@opentelemetry/core'
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { encodeRequest, writeSpanEntry, type Resource, type Scope, type SpansWriter } from './otlp-span-encoder.ts'
import { ProtobufWriter } from './protobuf-writer.ts'

/** An encoded ExportTraceServiceRequest and how many spans it carries. */
export interface EncodedBatch {
  body: Uint8Array
  spans: number
}

/** Sends one batch (spooling-transport.ts: one POST while the endpoint answers, the disk spool while it is away). */
export interface BatchTransport {
  export(batch: EncodedBatch, done: (result: ExportResult) => void): void
  shutdown(): Promise<void>
  /** Told of each span dropped because `maxQueueSize` spans were waiting, to count it. */
  droppedInMemory?(spans: number): void
  /** Spans are queued again after drops. */
  memoryHasRoom?(): void
}

export interface EncodingBatchOptions {
  /** Spans encoded and not yet acknowledged, at most; more are dropped (and counted), as the SDK's BatchSpanProcessor does. */
  maxQueueSize: number
  maxExportBatchSize: number
  /** A batch is sent once its spans' bytes reach this, so captured prompts cannot grow one past the collector's body limit. */
  maxExportBatchBytes: number
  scheduledDelayMillis: number
  maxConcurrentExports: number
}

/**
 * The SDK BatchSpanProcessor's contract, but each span is encoded to OTLP protobuf when it ends
 * instead of when its batch is exported: the work is spread over requests rather than stalling the
 * event loop for milliseconds per batch (the gateway's p99), it runs while the span is still in
 * cache, and spans die young instead of outliving scavenges in a queue.
 */
export class EncodingBatchSpanProcessor implements SpanProcessor {
  private open = new OpenBatch()
  private readonly ready: OpenBatch[] = []
  private readonly inFlight = new Set<Promise<void>>()
  private queued = 0
  private dropped = 0
  private timer: NodeJS.Timeout | undefined
  private closed: Promise<void> | undefined

  constructor(
    private readonly transport: BatchTransport,
    private readonly options: EncodingBatchOptions,
  ) {}

  onStart(): void {}

  onEnd(span: ReadableSpan): void {
    if (this.closed || (span.spanContext().traceFlags & TraceFlags.SAMPLED) === 0) return
    if (this.queued >= this.options.maxQueueSize) {
      if (this.dropped++ === 0) diag.debug('maxQueueSize reached, dropping spans')
      this.transport.droppedInMemory?.(1)
      return
    }
    if (this.dropped > 0) {
      diag.warn(`Dropped ${this.dropped} spans because maxQueueSize reached`)
      this.dropped = 0
      this.transport.memoryHasRoom?.()
    }
    try {
      this.open.add(span)
    } catch (err) {
      globalErrorHandler(err as Error) // a span the encoder cannot write is lost alone, never the request
      return
    }
    this.queued++
    if (this.open.spans >= this.options.maxExportBatchSize || this.open.bytes >= this.options.maxExportBatchBytes)
      this.seal()
    else if (this.timer === undefined)
      this.timer = setTimeout(() => this.seal(), this.options.scheduledDelayMillis).unref()
  }

  async forceFlush(): Promise<void> {
    this.seal()
    while (this.inFlight.size > 0) await Promise.all(this.inFlight)
  }

  shutdown(): Promise<void> {
    return (this.closed ??= this.forceFlush().then(() => this.transport.shutdown()))
  }

  private seal(): void {
    clearTimeout(this.timer)
    this.timer = undefined
    if (this.open.spans === 0) return
    this.ready.push(this.open)
    this.open = new OpenBatch()
    this.pump()
  }

  private pump(): void {
    while (this.inFlight.size < this.options.maxConcurrentExports && this.ready.length > 0) {
      const batch = this.ready.shift()!
      const sent: Promise<void> = this.send(batch).finally(() => {
        this.queued -= batch.spans
        this.inFlight.delete(sent)
        this.pump()
      })
      this.inFlight.add(sent)
    }
  }

  private async send(batch: OpenBatch): Promise<void> {
    const pending = [...batch.resources()]
      .filter((r) => r.asyncAttributesPending)
      .map((r) => r.waitForAsyncAttributes?.())
    if (pending.length > 0) await Promise.all(pending)
    const result = await new Promise<ExportResult>((resolve) => {
      // The export's own HTTP request must not become a span.
      context.with(suppressTracing(context.active()), () =>
        this.transport.export({ body: batch.encode(), spans: batch.spans }, resolve),
      )
    })
    if (result.code !== ExportResultCode.SUCCESS) globalErrorHandler(result.error ?? new Error('span export failed'))
  }
}

/** Writers whose bytes were copied into a request: reused, so a batch's spans need no new buffer. */
const spareWriters: ProtobufWriter[] = []

/** Spans encoded so far, by resource and scope. */
class OpenBatch {
  spans = 0
  bytes = 0
  private readonly writers = new Map<Resource, Map<Scope, ProtobufWriter>>()

  add(span: ReadableSpan): void {
    let scopes = this.writers.get(span.resource)
    if (!scopes) this.writers.set(span.resource, (scopes = new Map()))
    let w = scopes.get(span.instrumentationScope)
    if (!w) scopes.set(span.instrumentationScope, (w = spareWriters.pop() ?? new ProtobufWriter(1 << 16)))
    const start = w.pos
    try {
      writeSpanEntry(w, span)
    } catch (err) {
      w.pos = start
      throw err
    }
    this.spans++
    this.bytes += w.pos - start
  }

  resources(): Iterable<Resource> {
    return this.writers.keys()
  }

  encode(): Uint8Array {
    const groups = new Map<Resource, Map<Scope, SpansWriter>>()
    for (const [resource, scopes] of this.writers) {
      groups.set(
        resource,
        new Map([...scopes].map(([scope, w]) => [scope, (out: ProtobufWriter) => out.raw(w.finish())])),
      )
    }
    const body = encodeRequest(groups)
    for (const scopes of this.writers.values()) {
      for (const w of scopes.values()) {
        w.pos = 0
        spareWriters.push(w)
      }
    }
    this.writers.clear()
    return body
  }
}

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api'
import { ExportResultCode, setGlobalErrorHandler, type ExportResult } from '@opentelemetry/core'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterEach, describe, expect, it } from 'vitest'
import { EncodingBatchSpanProcessor, type EncodedBatch } from '../../gateway/telemetry/encoding-span-processor.ts'

/** A transport that records every batch and answers when the test says so. */
function heldTransport() {
  const sent: { batch: EncodedBatch; done: (r: ExportResult) => void }[] = []
  let shutdowns = 0
  return {
    sent,
    shutdowns: () => shutdowns,
    transport: {
      export: (batch: EncodedBatch, done: (r: ExportResult) => void) => void sent.push({ batch, done }),
      shutdown: async () => void shutdowns++,
    },
    answerAll: (code = ExportResultCode.SUCCESS) => sent.forEach((s) => s.done({ code })),
  }
}

function provider(service: string, ...processors: (EncodingBatchSpanProcessor | SimpleSpanProcessor)[]) {
  return new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.cores': 2 }),
    spanProcessors: processors,
  })
}

const options = {
  maxQueueSize: 1000,
  maxExportBatchSize: 512,
  maxExportBatchBytes: 1 << 20,
  scheduledDelayMillis: 60_000,
  maxConcurrentExports: 4,
}
const tick = () => new Promise((r) => setTimeout(r, 0))

afterEach(() => setGlobalErrorHandler(() => {}))

describe('encoding batch span processor', () => {
  it('sends exactly the bytes the SDK serializer writes for the same spans, across resources and scopes', async () => {
    const t = heldTransport()
    const processor = new EncodingBatchSpanProcessor(t.transport, options)
    const memory = new InMemorySpanExporter()
    const a = provider('gateway', processor, new SimpleSpanProcessor(memory))
    const b = provider('agent', processor, new SimpleSpanProcessor(memory))
    const gateway = a.getTracer('loopgate-gateway', '1.0.0')
    const parent = gateway.startSpan('chat r', { kind: SpanKind.SERVER })
    parent.setAttributes({
      route: 'r',
      unicode: 'naïve — 日本語 🚀',
      long: 'é'.repeat(5_000),
      n: 7,
      big: 2 ** 62,
      x: 0.5,
      ok: true,
      list: ['a', 'b'],
    })
    parent.addEvent('first token', { ttft_ms: 12.5 })
    b.getTracer('agent-scope').startSpan('plan').end()
    const child = gateway.startSpan('chat a', { kind: SpanKind.CLIENT }, trace.setSpan(ROOT_CONTEXT, parent))
    child.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream 503' })
    child.end()
    a.getTracer('other-scope').startSpan('tool').end()
    parent.end()
    for (let i = 0; i < 200; i++) gateway.startSpan(`span ${i}`).setAttribute('i', i).end()

    const flushed = processor.forceFlush()
    await tick()
    t.answerAll()
    await flushed
    const spans = memory.getFinishedSpans()
    expect(spans.length).toBe(204)
    expect(t.sent.map((s) => s.batch.spans)).toEqual([204])
    expect(
      Buffer.from(t.sent[0]!.batch.body).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!)),
    ).toBe(true)
  })

  it('sends a full batch at once and the rest after the scheduled delay', async () => {
    const t = heldTransport()
    const processor = new EncodingBatchSpanProcessor(t.transport, {
      ...options,
      maxExportBatchSize: 10,
      scheduledDelayMillis: 40,
    })
    const tracer = provider('gateway', processor).getTracer('t')
    const started = performance.now()
    for (let i = 0; i < 25; i++) tracer.startSpan(`s${i}`).end()
    await tick()
    expect(t.sent.map((s) => s.batch.spans)).toEqual([10, 10])
    while (t.sent.length < 3 && performance.now() - started < 5_000) await new Promise((r) => setTimeout(r, 10)) // a loaded machine fires timers late
    expect(performance.now() - started).toBeGreaterThanOrEqual(39) // not before the delay
    expect(t.sent.map((s) => s.batch.spans)).toEqual([10, 10, 5])
    t.answerAll()
  })

  it('sends a batch once its bytes reach the limit, so large captured prompts never make one too big', async () => {
    const t = heldTransport()
    const processor = new EncodingBatchSpanProcessor(t.transport, { ...options, maxExportBatchBytes: 50_000 })
    const tracer = provider('gateway', processor).getTracer('t')
    for (let i = 0; i < 12; i++)
      tracer.startSpan(`prompt ${i}`).setAttribute('gen_ai.input.messages', 'p'.repeat(20_000)).end()
    await tick()
    expect(t.sent.map((s) => s.batch.spans)).toEqual([3, 3, 3, 3]) // 60 KB reached at the third span of each
    for (const { batch } of t.sent) expect(batch.body.length).toBeLessThan(50_000 + 20_100)
    t.answerAll()
  })

  it('keeps at most maxConcurrentExports in flight, bounds what waits, and sends the waiting batches as slots free', async () => {
    const t = heldTransport()
    const processor = new EncodingBatchSpanProcessor(t.transport, {
      ...options,
      maxQueueSize: 50,
      maxExportBatchSize: 10,
      maxConcurrentExports: 2,
    })
    const tracer = provider('gateway', processor).getTracer('t')
    for (let i = 0; i < 60; i++) tracer.startSpan(`s${i}`).end()
    await tick()
    expect(t.sent.length).toBe(2) // 3 more batches wait; the last 10 spans were over the queue bound
    t.sent[0]!.done({ code: ExportResultCode.SUCCESS })
    await tick()
    expect(t.sent.length).toBe(3)
    tracer.startSpan('after a slot freed').end() // space again
    const flushed = processor.forceFlush()
    let settled = false
    void flushed.then(() => (settled = true))
    for (let round = 0; round < 5; round++) {
      await tick()
      t.sent.forEach((s) => s.done({ code: ExportResultCode.SUCCESS }))
    }
    await flushed
    expect(settled).toBe(true)
    expect(t.sent.map((s) => s.batch.spans)).toEqual([10, 10, 10, 10, 10, 1])
  })

  it('reports a failed export and frees its place in the queue', async () => {
    const errors: unknown[] = []
    setGlobalErrorHandler((e) => errors.push(e))
    const t = heldTransport()
    const processor = new EncodingBatchSpanProcessor(t.transport, {
      ...options,
      maxQueueSize: 10,
      maxExportBatchSize: 10,
      maxConcurrentExports: 1,
    })
    const tracer = provider('gateway', processor).getTracer('t')
    for (let i = 0; i < 10; i++) tracer.startSpan(`s${i}`).end()
    await tick()
    t.sent[0]!.done({ code: ExportResultCode.FAILED, error: new Error('collector said 400') })
    await tick()
    expect(String(errors[0])).toContain('collector said 400')
    tracer.startSpan('accepted again').end()
    const flushed = processor.forceFlush()
    await tick()
    t.sent[1]!.done({ code: ExportResultCode.SUCCESS })
    await flushed
    expect(t.sent[1]!.batch.spans).toBe(1)
  })

  it('loses only a span it cannot encode, and keeps the batch well-formed', async () => {
    const errors: unknown[] = []
    setGlobalErrorHandler((e) => errors.push(e))
    const t = heldTransport()
    const processor = new EncodingBatchSpanProcessor(t.transport, options)
    const memory = new InMemorySpanExporter()
    const tracer = provider('gateway', processor, new SimpleSpanProcessor(memory)).getTracer('t')
    tracer.startSpan('good').end()
    const bad = tracer.startSpan('bad')
    Object.defineProperty(bad, 'name', {
      get: () => {
        throw new Error('unreadable name')
      },
    })
    bad.end()
    tracer.startSpan('also good').end()
    const flushed = processor.forceFlush()
    await tick()
    t.answerAll()
    await flushed
    expect(String(errors[0])).toContain('unreadable name')
    expect(t.sent[0]!.batch.spans).toBe(2)
    const good = memory.getFinishedSpans().filter((s) => s !== (bad as unknown))
    expect(
      Buffer.from(t.sent[0]!.batch.body).equals(Buffer.from(ProtobufTraceSerializer.serializeRequest(good)!)),
    ).toBe(true)
  })

  it('flushes on shutdown, once, and takes no span after it', async () => {
    const t = heldTransport()
    const processor = new EncodingBatchSpanProcessor(t.transport, options)
    const tracer = provider('gateway', processor).getTracer('t')
    tracer.startSpan('before').end()
    const closing = processor.shutdown()
    tracer.startSpan('after').end()
    await tick()
    t.answerAll()
    await Promise.all([closing, processor.shutdown()])
    expect(t.sent.map((s) => s.batch.spans)).toEqual([1])
    expect(t.shutdowns()).toBe(1)
  })
})

import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api'
import { TraceState } from '@opentelemetry/core'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import { describe, expect, it } from 'vitest'
import { encodeSpans } from '../../gateway/telemetry/otlp-span-encoder.ts'

function recorder(service: string, schemaUrl?: string) {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': service, 'host.cores': 2 }, { schemaUrl }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  })
  return { provider, spans: () => exporter.getFinishedSpans() }
}

const sdkBytes = (spans: ReadableSpan[]) => Buffer.from(ProtobufTraceSerializer.serializeRequest(spans)!)
const ourBytes = (spans: ReadableSpan[]) => Buffer.from(encodeSpans(spans))

describe('OTLP span encoder', () => {
  it('writes exactly the bytes of the SDK serializer, for every kind of value and span part', () => {
    const a = recorder('gateway', 'https://opentelemetry.io/schemas/1.30.0')
    const b = recorder('agent')
    const tracer = a.provider.getTracer('loopgate-gateway', '1.0.0', { schemaUrl: 'https://example.test/schema' })
    const remote = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: new TraceState('vendor=a1,other=b2'),
    })
    const parent = tracer.startSpan('chat route', { kind: SpanKind.SERVER }, remote)
    parent.setAttributes({
      ascii: 'sim/sim-a',
      empty: '',
      unicode: 'naïve — 日本語 🚀',
      long: 'x'.repeat(300),
      longer: 'é'.repeat(20_000),
      zero: 0,
      small: 7,
      negative: -42,
      big: 2 ** 40,
      huge: 2 ** 62,
      unsafe: -(2 ** 63),
      double: 0.1,
      tiny: -1e-300,
      inf: Infinity,
      yes: true,
      no: false,
      strings: ['a', 'ü', ''],
      numbers: [1, 2.5, -3],
      flags: [true, false],
      mixed: [null, 'x'] as string[],
    })
    parent.addEvent('first token', { ttft_ms: 12.5, note: 'ünïcode' })
    parent.addEvent('bare')
    parent.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream 503: überlastet' })
    const child = tracer.startSpan(
      'attempt',
      {
        kind: SpanKind.CLIENT,
        links: [
          { context: parent.spanContext(), attributes: { why: 'retry' } },
          { context: { traceId: 'f'.repeat(32), spanId: '1'.repeat(16), traceFlags: 0, isRemote: true } },
        ],
      },
      trace.setSpan(ROOT_CONTEXT, parent),
    )
    child.setStatus({ code: SpanStatusCode.OK })
    child.end()
    parent.end()
    for (let i = 0; i < 300; i++)
      tracer
        .startSpan(`span ${i}`, { kind: i % 5 })
        .setAttribute('i', i)
        .end() // several buffer growths
    b.provider.getTracer('agent-scope').startSpan('plan').end()
    b.provider.getTracer('other-scope', '2').startSpan('tool', { kind: SpanKind.INTERNAL }).end()

    const spans = [...a.spans(), ...b.spans()]
    expect(spans.length).toBe(304)
    const ours = ourBytes(spans)
    expect(ours.length).toBeGreaterThan(40_000) // nested lengths of 1, 2 and 3 bytes
    expect(ours.equals(sdkBytes(spans))).toBe(true)
    expect(ourBytes(spans.slice(0, 1)).equals(sdkBytes(spans.slice(0, 1)))).toBe(true)
  })

  it('encodes an empty batch like the SDK', () => {
    expect(ourBytes([]).equals(sdkBytes([]))).toBe(true)
  })

  it('keeps earlier batches intact when it encodes the next (exports are retried later)', () => {
    const a = recorder('gateway')
    const tracer = a.provider.getTracer('t')
    tracer.startSpan('one').end()
    const first = encodeSpans(a.spans())
    const copy = Buffer.from(first)
    tracer.startSpan('two').setAttribute('k', 'v'.repeat(1000)).end()
    encodeSpans(a.spans())
    expect(Buffer.from(first).equals(copy)).toBe(true)
  })
})

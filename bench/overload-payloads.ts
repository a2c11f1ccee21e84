import { SpanKind, context, trace } from '@opentelemetry/api'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'

const TRACE_MARK = Buffer.from('f00dfeed', 'hex')
const SPAN_MARK = Buffer.from('beefcafe', 'hex')

/**
 * OTLP protobuf batches of gateway-like spans whose ids carry a 4-byte batch number, so many
 * distinct batches come from a few templates made by the real SDK and serializer: the template's
 * ids start with a marker, and `batch(k)` writes k over every marker (trace, span and parent ids
 * alike, so the tree stays intact). The stored TraceId's first 8 hex digits name the batch.
 */
export async function numberedBatches(templates: number, spansPerBatch: number) {
  const made: { bytes: Buffer; marks: number[] }[] = []
  for (let t = 0; t < templates; t++) {
    const bytes = Buffer.from(await template(t, spansPerBatch))
    const marks: number[] = []
    for (const mark of [TRACE_MARK, SPAN_MARK]) {
      for (let at = bytes.indexOf(mark); at >= 0; at = bytes.indexOf(mark, at + 4)) marks.push(at)
    }
    made.push({ bytes, marks })
  }
  return {
    /** Batch k (1 ≤ k < 2³²): its own trace and span ids, the same bytes every time it is asked for. */
    batch(k: number): Buffer {
      const { bytes, marks } = made[k % made.length]!
      const out = Buffer.from(bytes)
      for (const at of marks) out.writeUInt32BE(k, at)
      return out
    },
    batchPrefix: (k: number) => k.toString(16).padStart(8, '0'),
  }
}

async function template(t: number, spans: number): Promise<Uint8Array> {
  let traceCounter = t * 1_000_000
  let spanCounter = t * 1_000_000
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'loopgate-gateway', 'service.version': '0.1.0' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    idGenerator: {
      generateTraceId: () => `f00dfeed${(++traceCounter).toString(16).padStart(24, '0')}`,
      generateSpanId: () => `beefcafe${(++spanCounter).toString(16).padStart(8, '0')}`,
    },
  })
  const tracer = provider.getTracer('loopgate-gateway')
  for (let i = 0; i < spans / 2; i++) {
    const attributes = {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
      'gen_ai.usage.input_tokens': 800 + (i % 100),
      'gen_ai.usage.output_tokens': 200,
      'loopgate.route': 'support-chat',
      'loopgate.target': 'openai/gpt-4o-mini',
      'loopgate.routing.version': '42',
      'loopgate.cost_usd': '0.000240000000',
      'session.id': `session-${t}-${i % 8}`,
      'user.id': `user-${i % 50}`,
    }
    const request = tracer.startSpan('chat support-chat', { kind: SpanKind.SERVER, attributes: { ...attributes, 'loopgate.span': 'request' } })
    const attempt = tracer.startSpan('attempt openai/gpt-4o-mini', { kind: SpanKind.CLIENT, attributes: { ...attributes, 'loopgate.span': 'attempt', 'loopgate.attempt': 1 } }, trace.setSpan(context.active(), request))
    attempt.end()
    request.end()
  }
  const bytes = ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!
  await provider.shutdown()
  return bytes
}

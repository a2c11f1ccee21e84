import { SpanKind, context, trace } from '@opentelemetry/api'
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type IdGenerator,
} from '@opentelemetry/sdk-trace-base'

/**
 * OTLP protobuf bodies of gateway-like spans (a request span with GenAI + loopgate.*
 * attributes and one attempt child each), made by the real SDK and serializer. `idGenerator`
 * chooses the ids; payload p's sessions are named after `firstPayload + p`.
 */
export async function gatewaySpanPayloads(
  count: number,
  spansPerPayload: number,
  options: { idGenerator?: IdGenerator; firstPayload?: number } = {},
): Promise<Uint8Array[]> {
  const exporter = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'loopgate-gateway', 'service.version': '0.1.0' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
    ...(options.idGenerator ? { idGenerator: options.idGenerator } : {}),
  })
  const first = options.firstPayload ?? 0
  const tracer = provider.getTracer('loopgate-gateway')
  const payloads: Uint8Array[] = []
  for (let p = 0; p < count; p++) {
    for (let i = 0; i < spansPerPayload / 2; i++) {
      const attributes = {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.usage.input_tokens': 800 + i,
        'gen_ai.usage.output_tokens': 200,
        'gen_ai.response.finish_reasons': ['stop'],
        'loopgate.tenant.id': `tenant-${i % 20}`,
        'loopgate.route': 'support-chat',
        'loopgate.target': 'openai/gpt-4o-mini',
        'loopgate.routing.version': '42',
        'loopgate.cost_usd': '0.000240000000',
        'loopgate.ttft_ms': 180,
        'session.id': `session-${first + p}-${i % 8}`,
        'user.id': `user-${i % 50}`,
        'http.request.method': 'POST',
        'server.address': 'api.openai.com',
      }
      const request = tracer.startSpan('chat support-chat', {
        kind: SpanKind.SERVER,
        attributes: { ...attributes, 'loopgate.span': 'request' },
      })
      const attempt = tracer.startSpan(
        'attempt openai/gpt-4o-mini',
        { kind: SpanKind.CLIENT, attributes: { ...attributes, 'loopgate.span': 'attempt', 'loopgate.attempt': 1 } },
        trace.setSpan(context.active(), request),
      )
      attempt.end()
      request.end()
    }
    payloads.push(ProtobufTraceSerializer.serializeRequest(exporter.getFinishedSpans())!)
    exporter.reset()
  }
  await provider.shutdown()
  return payloads
}

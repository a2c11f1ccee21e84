// Micro-benchmark: decode + normalize (and + Native encoding: the collector's whole JS share of
// ingest) throughput on one core, for gateway-like spans (~20 attributes) serialized by the real
// OTel SDK serializers. Run:
//   node bin/run-ts.mjs bench/normalize.ts [seconds-per-format]
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { SpanKind, context, trace } from '@opentelemetry/api'
import { decodeJson, decodeProtobuf, type ExportRequest } from '../collector/otlp/decode.ts'
import { Normalizer } from '../collector/normalize/index.ts'
import { encodeNativeBlock } from '../collector/storage/native-block.ts'
import { spanColumns } from '../collector/storage/span-columns.ts'

const BATCH = 512
const seconds = Number(process.argv[2] ?? 3)

const exporter = new InMemorySpanExporter()
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({
    'service.name': 'loopgate-gateway',
    'service.version': '0.1.0',
    'host.name': 'gw-1',
  }),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
})
const tracer = provider.getTracer('loopgate', '0.1.0')
const models = ['gpt-4o', 'gpt-4o-mini', 'claude-sonnet-4-20250514', 'my-private-model']
for (let i = 0; exporter.getFinishedSpans().length < BATCH; i++) {
  const model = models[i % models.length]!
  const root = tracer.startSpan(`chat ${model}`, {
    kind: SpanKind.SERVER,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': model.startsWith('claude') ? 'anthropic' : 'openai',
      'gen_ai.request.model': 'smart',
      'gen_ai.response.model': model,
      'gen_ai.response.id': `resp-${i}`,
      'gen_ai.usage.input_tokens': 1000 + i,
      'gen_ai.usage.output_tokens': 200 + (i % 50),
      'gen_ai.usage.cache_read.input_tokens': 300,
      'gen_ai.response.finish_reasons': ['stop'],
      'gen_ai.request.temperature': 0.7,
      'gen_ai.request.max_tokens': 1024,
      'loopgate.tenant.id': `tenant-${i % 20}`,
      'loopgate.route': 'smart',
      'loopgate.target': `openai/${model}`,
      'loopgate.routing.version': 'v12',
      'loopgate.attempt': 1,
      'loopgate.span': 'request',
      'loopgate.ttft_ms': 123.4,
      'session.id': `sess-${i % 100}`,
      'user.id': `user-${i % 37}`,
      'http.response.status_code': 200,
    },
  })
  const child = tracer.startSpan(
    'attempt 1',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': model,
        'gen_ai.usage.input_tokens': 1000 + i,
        'gen_ai.usage.output_tokens': 200,
        'loopgate.attempt': 1,
        'loopgate.span': 'attempt',
        'server.address': 'api.openai.com',
        'server.port': 443,
        'http.request.method': 'POST',
        'url.full': 'https://api.openai.com/v1/chat/completions',
        'http.response.status_code': 200,
        'loopgate.target': `openai/${model}`,
        'loopgate.route': 'smart',
        'loopgate.routing.version': 'v12',
        'gen_ai.response.model': model,
        'gen_ai.response.finish_reasons': ['stop'],
        'loopgate.ttft_ms': 120.1,
      },
    },
    trace.setSpan(context.active(), root),
  )
  child.end()
  root.end()
}
const spans = exporter.getFinishedSpans().slice(0, BATCH)
const protobufBody = ProtobufTraceSerializer.serializeRequest(spans)!
const jsonBody = new TextDecoder().decode(JsonTraceSerializer.serializeRequest(spans)!)

function run(name: string, decode: () => ExportRequest, encode = false): void {
  const normalizer = new Normalizer()
  const ctx = { tenantId: 'default', trustTenantAttribute: true }
  for (let i = 0; i < 50; i++) normalizer.normalize(decode(), ctx) // warm up
  let n = 0
  const start = process.hrtime.bigint()
  const deadline = start + BigInt(Math.round(seconds * 1e9))
  let now = start
  while (now < deadline) {
    const result = normalizer.normalize(decode(), ctx)
    if (encode) encodeNativeBlock(spanColumns, result.rows)
    n += result.rows.length
    now = process.hrtime.bigint()
  }
  const secs = Number(now - start) / 1e9
  console.log(
    `${name.padEnd(16)} ${Math.round(n / secs).toLocaleString('en-US')} spans/s (decode+normalize${encode ? '+encode' : ''}, ${BATCH}-span requests, ${(protobufBody.length / BATCH).toFixed(0)} B/span protobuf)`,
  )
}

run('protobuf', () => decodeProtobuf(protobufBody))
run('json', () => decodeJson(jsonBody))
run('protobuf→Native', () => decodeProtobuf(protobufBody), true)

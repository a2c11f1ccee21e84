/**
 * `node bin/run-ts.mjs bench/span-encoding.ts [--rounds 2000] [--requests 200000]`
 *
 * 1. The gateway's OTLP span encoder vs the SDK's ProtobufTraceSerializer, side by side on the same
 *    batch of 512 gateway spans (a request span and its attempt per request), interleaved.
 * 2. What tracing costs per request, from startSpan to export-ready bytes (no network), interleaved:
 *    the SDK's BatchSpanProcessor with its serializer, the same with our encoder, and our
 *    EncodingBatchSpanProcessor (encodes each span as it ends). One request per event-loop turn; the
 *    99.7th percentile of a turn shows the batch encoded on 1 turn in 256 (0.39%).
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BatchSpanProcessor,
  BasicTracerProvider,
  InMemorySpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base'
import { parseArgs } from 'node:util'
import { createTelemetry } from '../gateway/telemetry/tracer.ts'
import { EncodingBatchSpanProcessor } from '../gateway/telemetry/encoding-span-processor.ts'
import { encodeSpans } from '../gateway/telemetry/otlp-span-encoder.ts'
import { parentContext, recordOutcome, startAttemptSpan, startRequestSpan } from '../gateway/telemetry/spans.ts'
import { gatewayConfigSchema } from '../gateway/index.ts'

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '2000' }, requests: { type: 'string', default: '200000' } },
})
const rounds = Number(values.rounds)

const memory = new InMemorySpanExporter()
const settings = gatewayConfigSchema.parse({}).telemetry
const telemetry = createTelemetry({ ...settings, enabled: false }, { exporters: [memory], env: {} })
const target = { provider: { name: 'sim' }, model: 'sim-a', id: 'sim/sim-a', priceSource: 'config' } as Parameters<
  typeof startAttemptSpan
>[4]
const info = {
  op: 'chat' as const,
  route: 'bench',
  tenantId: 'tenant-0042',
  routingVersion: 17,
  sessionId: 'session-7f3a',
  userId: undefined,
}
/** The spans of one gateway request. */
function traceRequest(tracer: typeof telemetry.tracer, i: number): void {
  const parent = parentContext({})
  const request = startRequestSpan(tracer, parent, info, { 'loopgate.capture': 'off' })
  const attempt = startAttemptSpan(tracer, parent, request, info, target, 1)
  recordOutcome(
    request,
    attempt,
    target,
    1,
    {
      usage: { input: 120 + (i & 255), output: 16, cacheRead: 0, cacheWrite: 0 },
      model: 'sim-a',
      finishReasons: ['stop'],
      outputText: '',
      toolCalls: [],
      deltas: 0,
    },
    '0.000027600',
    41.5,
  )
  attempt.end()
  request.end()
}
for (let i = 0; i < 256; i++) traceRequest(telemetry.tracer, i)
await telemetry.flush()
const spans = memory.getFinishedSpans()
const sdk = () => ProtobufTraceSerializer.serializeRequest(spans)!
const ours = () => encodeSpans(spans)
if (!Buffer.from(sdk()).equals(Buffer.from(ours()))) throw new Error('the encoders disagree')

const time = (encode: () => Uint8Array, n: number) => {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) encode()
  return ((performance.now() - t0) * 1000) / n / spans.length
}
time(sdk, 100)
time(ours, 100)
const results = { sdk: [] as number[], ours: [] as number[] }
for (let r = 0; r < 10; r++) {
  results.sdk.push(time(sdk, rounds / 10))
  results.ours.push(time(ours, rounds / 10))
}
const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1]!
const [s, o] = [median(results.sdk), median(results.ours)]
console.log(`${spans.length} spans, ${(sdk().length / spans.length).toFixed(0)} bytes each (identical output)`)
console.log(`SDK serializer  ${s.toFixed(2)} µs/span`)
console.log(`ours            ${o.toFixed(2)} µs/span  (${(o / s).toFixed(2)} of the SDK's time)`)

// 2. Per request, three span pipelines with the SDK's default batch of 512 (the gateway sends 2,048), no network.
let bytesOut = 0
const drain = { shutdown: async () => {} }
const pipelines: Record<string, () => SpanProcessor> = {
  'SDK batch + SDK serializer': () =>
    new BatchSpanProcessor(
      {
        ...drain,
        export: (s, done) => {
          bytesOut += ProtobufTraceSerializer.serializeRequest(s)!.length
          done({ code: 0 })
        },
      },
      { maxQueueSize: 8192, maxExportBatchSize: 512 },
    ),
  'SDK batch + our encoder': () =>
    new BatchSpanProcessor(
      {
        ...drain,
        export: (s, done) => {
          bytesOut += encodeSpans(s).length
          done({ code: 0 })
        },
      },
      { maxQueueSize: 8192, maxExportBatchSize: 512 },
    ),
  'encoding batch processor': () =>
    new EncodingBatchSpanProcessor(
      {
        ...drain,
        export: (b, done) => {
          bytesOut += b.body.length
          done({ code: 0 })
        },
      },
      {
        maxQueueSize: 8192,
        maxExportBatchSize: 512,
        maxExportBatchBytes: 4 << 20,
        scheduledDelayMillis: 1000,
        maxConcurrentExports: 17,
      },
    ),
}
const tracers = Object.fromEntries(
  Object.entries(pipelines).map(([name, make]) => {
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ 'service.name': 'loopgate-gateway' }),
      spanProcessors: [make()],
    })
    return [name, { provider, tracer: provider.getTracer('loopgate-gateway') }]
  }),
)
const perRequest = async (name: string, n: number) => {
  const { provider, tracer } = tracers[name]!
  const turns = new Float64Array(n)
  const cpu0 = process.cpuUsage()
  let last = performance.now()
  for (let i = 0; i < n; i++) {
    traceRequest(tracer, i)
    await new Promise((r) => setImmediate(r)) // one request per event-loop turn, as in the gateway
    const now = performance.now()
    turns[i] = now - last
    last = now
  }
  await provider.forceFlush()
  const cpu = process.cpuUsage(cpu0)
  return { us: (cpu.user + cpu.system) / n, turnP997: turns.sort()[Math.floor(n * 0.997)]! }
}
const requests = Number(values.requests)
for (const name of Object.keys(pipelines)) await perRequest(name, 5000)
const runs: Record<string, { us: number[]; turnP997: number[] }> = Object.fromEntries(
  Object.keys(pipelines).map((k) => [k, { us: [], turnP997: [] }]),
)
for (let r = 0; r < 5; r++) {
  for (const name of Object.keys(pipelines)) {
    const { us, turnP997 } = await perRequest(name, requests / 5)
    runs[name]!.us.push(us)
    runs[name]!.turnP997.push(turnP997)
  }
}
console.log(
  `\nper request (2 spans), from startSpan to export-ready bytes, median of 5 interleaved runs of ${requests / 5}:`,
)
const base = median(runs['SDK batch + SDK serializer']!.us)
for (const [name, r] of Object.entries(runs)) {
  const us = median(r.us)
  console.log(
    `${name.padEnd(28)} ${us.toFixed(2).padStart(6)} µs/request CPU (${(us / base).toFixed(2)} of the first)  event-loop turn p99.7 ${median(r.turnP997).toFixed(3)} ms`,
  )
}
if (bytesOut === 0) throw new Error('nothing was encoded')

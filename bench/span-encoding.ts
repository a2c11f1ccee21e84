/**
 * `node bin/run-ts.mjs bench/span-encoding.ts [--rounds 2000]`
 *
 * The gateway's OTLP span encoder vs the SDK's ProtobufTraceSerializer, side by side on the same
 * batch of 512 gateway spans (a request span and its attempt per request), interleaved.
 */
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer'
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { parseArgs } from 'node:util'
import { createTelemetry } from '../gateway/telemetry/tracer.ts'
import { encodeSpans } from '../gateway/telemetry/otlp-span-encoder.ts'
import { parentContext, recordOutcome, startAttemptSpan, startRequestSpan } from '../gateway/telemetry/spans.ts'
import { gatewayConfigSchema } from '../gateway/index.ts'

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '2000' } } })
const rounds = Number(values.rounds)

const memory = new InMemorySpanExporter()
const settings = gatewayConfigSchema.parse({}).telemetry
const telemetry = createTelemetry({ ...settings, enabled: false }, { exporters: [memory], env: {} })
const target = { provider: { name: 'sim' }, model: 'sim-a', id: 'sim/sim-a', priceSource: 'config' } as Parameters<typeof startAttemptSpan>[4]
const info = { op: 'chat' as const, route: 'bench', tenantId: 'tenant-0042', routingVersion: 17, sessionId: 'session-7f3a', userId: undefined }
for (let i = 0; i < 256; i++) {
  const parent = parentContext({})
  const request = startRequestSpan(telemetry.tracer, parent, info, { 'loopgate.capture': 'off' })
  const attempt = startAttemptSpan(telemetry.tracer, parent, request, info, target, 1)
  recordOutcome(request, attempt, target, 1, { usage: { input: 120 + i, output: 16, cacheRead: 0, cacheWrite: 0 }, model: 'sim-a', finishReasons: ['stop'], outputText: '', toolCalls: [], deltas: 0 }, '0.000027600', 41.5)
  attempt.end()
  request.end()
}
await telemetry.flush()
const spans = memory.getFinishedSpans()
const sdk = () => ProtobufTraceSerializer.serializeRequest(spans)!
const ours = () => encodeSpans(spans)
if (!Buffer.from(sdk()).equals(Buffer.from(ours()))) throw new Error('the encoders disagree')

const time = (encode: () => Uint8Array, n: number) => {
  const t0 = performance.now()
  for (let i = 0; i < n; i++) encode()
  return (performance.now() - t0) * 1000 / n / spans.length
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

import { subscribe, unsubscribe } from 'node:diagnostics_channel'
import type { ClientRequest, IncomingMessage } from 'node:http'
import { SpanKind, context, trace } from '@opentelemetry/api'
import { ExportResultCode } from '@opentelemetry/core'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
} from '@opentelemetry/sdk-trace-base'
import { scaled } from '../helpers/decimal.ts'
import { afterAll, describe, expect, it } from 'vitest'
import { CollectorClient } from '../../collector/client.ts'
import { storageConfigSchema } from '../../collector/config.ts'
import { createStorageClient } from '../../collector/storage/client.ts'
import { ADMIN_TOKEN, startTestCollector } from '../helpers/collector.ts'
import { sessionSpanTotal } from './otlp-batches.ts'

// Overload with re-sends, scaled to ~30 s: real OTel SDK exporters (protobuf, default 10 s
// timeout and retry rules) send more than the collector may hold in flight (admission is set small
// here so overload is certain on any machine); a failed export is sent again, and some acknowledged
// ones too (a lost ack). Every ack must come within ~5 s, every Retry-After be ≤ 5 s, no span may
// show twice, and nothing acknowledged may be missing.
const EXPORTERS = 24
const BATCHES = 5
const TRACES_PER_BATCH = 200 // a root and an LLM call each: 400 spans per batch

const tenants = [{ id: 'acme', ingestKeys: ['acme-ingest'], readKeys: [] }]
const collector = await startTestCollector({
  tenants,
  collector: { admission: { maxInFlightBytes: 1024 * 1024, maxQueueSeconds: 2 } },
})
afterAll(() => collector.close())

/** Finished spans of `EXPORTERS × BATCHES` batches, made by the real SDK; batch k's traces are its own. */
function makeBatches(): ReadableSpan[][] {
  const memory = new InMemorySpanExporter()
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'agents' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  })
  const tracer = provider.getTracer('load')
  const batches: ReadableSpan[][] = []
  for (let k = 0; k < EXPORTERS * BATCHES; k++) {
    for (let t = 0; t < TRACES_PER_BATCH; t++) {
      const root = tracer.startSpan('agent.turn', { attributes: { 'session.id': `load-${k}-${t % 5}` } })
      tracer
        .startSpan(
          'chat gpt-4o-mini',
          {
            kind: SpanKind.CLIENT,
            attributes: {
              'gen_ai.operation.name': 'chat',
              'gen_ai.provider.name': 'openai',
              'gen_ai.request.model': 'gpt-4o-mini',
              'gen_ai.usage.input_tokens': 100 + t,
              'gen_ai.usage.output_tokens': 7,
            },
          },
          trace.setSpan(context.active(), root),
        )
        .end()
      root.end()
    }
    batches.push(memory.getFinishedSpans().slice())
    memory.reset()
  }
  return batches
}

/** Every HTTP answer the exporters get: status, time from request start, Retry-After. */
function watchAnswers() {
  const started = new WeakMap<ClientRequest, number>()
  const answers: { status: number; ms: number; retryAfter?: string }[] = []
  const onStart = (m: unknown) => started.set((m as { request: ClientRequest }).request, performance.now())
  const onFinish = (m: unknown) => {
    const { request, response } = m as { request: ClientRequest; response: IncomingMessage }
    const t = started.get(request)
    if (t !== undefined)
      answers.push({
        status: response.statusCode ?? 0,
        ms: performance.now() - t,
        retryAfter: response.headers['retry-after'] as string | undefined,
      })
  }
  subscribe('http.client.request.start', onStart)
  subscribe('http.client.response.finish', onFinish)
  return {
    answers,
    stop: () => {
      unsubscribe('http.client.request.start', onStart)
      unsubscribe('http.client.response.finish', onFinish)
    },
  }
}

const exportOnce = (exporter: OTLPTraceExporter, spans: ReadableSpan[]) =>
  new Promise<boolean>((resolve) => exporter.export(spans, (r) => resolve(r.code === ExportResultCode.SUCCESS)))

describe('ingest under overload with re-sends', () => {
  it('answers in time, refuses with a Retry-After the exporter honours, and stores every acknowledged span once', async () => {
    const batches = makeBatches()
    const watch = watchAnswers()
    const acked = new Set<number>()
    let exports = 0
    await Promise.all(
      Array.from({ length: EXPORTERS }, async (_, e) => {
        const exporter = new OTLPTraceExporter({
          url: `${collector.url}/v1/traces`,
          headers: { authorization: 'Bearer acme-ingest' },
        })
        for (let b = 0; b < BATCHES; b++) {
          const k = e * BATCHES + b
          let ok = false
          for (let send = 0; send < 4 && !ok; send++) {
            exports++
            ok = await exportOnce(exporter, batches[k]!)
          }
          if (!ok) continue
          acked.add(k)
          if (k % 4 === 0) {
            exports++
            await exportOnce(exporter, batches[k]!) // the ack was lost on the way: sent again
          }
        }
        await exporter.shutdown()
      }),
    )
    watch.stop()

    const ok = watch.answers.filter((a) => a.status === 200)
    const refused = watch.answers.filter((a) => a.status === 429 || a.status === 503)
    const retryAfters = refused.map((a) => Number(a.retryAfter))
    const slowest = Math.max(...ok.map((a) => a.ms))
    // Storage: each span of an acknowledged batch is there; no span is there twice.
    const db = await createStorageClient(storageConfigSchema.parse({ path: collector.dataDir }))
    const rs = await db.query({
      query: `SELECT count() AS rows, uniqExact(TraceId, SpanId) AS spans, countIf(billable = 1) AS llm,
                toString(sumIf(cost_usd, billable = 1)) AS cost, sumIf(input_tokens, billable = 1) AS input
              FROM loopgate.spans WHERE tenant_id = 'acme'`,
      format: 'JSONEachRow',
    })
    const [stored] = await rs.json<{ rows: string; spans: string; llm: string; cost: string; input: string }>()
    const ackedSpans = [...acked].flatMap((k) => batches[k]!)
    const traceIds = [...new Set(ackedSpans.map((s) => s.spanContext().traceId))]
    const present = await db.query({
      query: `SELECT uniqExact(TraceId, SpanId) AS n FROM loopgate.spans WHERE tenant_id = 'acme' AND TraceId IN {ids:Array(String)}`,
      query_params: { ids: traceIds },
      format: 'JSONEachRow',
    })
    const [{ n }] = (await present.json<{ n: string }>()) as [{ n: string }]
    await db.close()
    console.log(
      `${exports} exports, ${watch.answers.length} answers (${ok.length} ok, ${refused.length} refused), ${acked.size}/${batches.length} batches acknowledged, slowest ack ${slowest.toFixed(0)} ms, Retry-After ${Math.min(...retryAfters)}–${Math.max(...retryAfters)} s; stored ${stored!.rows} rows for ${stored!.spans} spans`,
    )
    expect(refused.length).toBeGreaterThan(0) // it was overloaded
    expect(retryAfters.every((s) => Number.isInteger(s) && s >= 1 && s <= 5)).toBe(true)
    expect(slowest).toBeLessThanOrEqual(5000)
    expect(acked.size).toBeGreaterThan(batches.length / 2)

    expect(Number(stored!.rows)).toBe(Number(stored!.spans)) // 0 duplicates
    expect(Number(n)).toBe(ackedSpans.length) // nothing acknowledged is lost

    // The API: chargeback and sessions count each span once, and equal the stored unique spans' sums.
    const api = new CollectorClient({ baseUrl: collector.url, token: ADMIN_TOKEN })
    const charge = await api.chargeback({ tenant: 'acme', period: 'day' })
    expect(charge.totals.requests).toBe(Number(stored!.llm))
    expect(charge.totals.input_tokens).toBe(Number(stored!.input))
    expect(scaled(charge.totals.cost_usd)).toBe(scaled(stored!.cost))
    expect(await sessionSpanTotal(api, 'acme')).toBe(Number(stored!.spans))
    const sample = [...acked].slice(0, 5).map((k) => batches[k]![0]!.spanContext().traceId)
    for (const id of sample) expect((await api.getTrace(id)).totals.spans).toBe(2)
  })
})

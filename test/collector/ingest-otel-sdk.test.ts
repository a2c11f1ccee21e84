import { SpanKind, SpanStatusCode, context, trace, type Tracer } from '@opentelemetry/api'
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base'
import { afterAll, describe, expect, it } from 'vitest'
import { storageConfigSchema } from '../../collector/config.ts'
import { createStorageClient } from '../../collector/storage/client.ts'
import { json } from '../helpers/http.ts'
import { startTestCollector, type TestCollector } from '../helpers/collector.ts'

const tenants = [{ id: 'acme', ingestKeys: ['acme-ingest-key-1'], readKeys: [] }]
let collector: TestCollector = await startTestCollector({ tenants })
// The same chDB directory from the test's side (one engine per process, shared by both clients).
const reader = await createStorageClient(storageConfigSchema.parse({ path: collector.dataDir }))
afterAll(async () => {
  await collector.close()
  await reader.close()
})

/** `batch`: spans leave together on flush (production default); otherwise each span is exported as it ends. */
function tracerFor(exporter: SpanExporter, batch = false): { tracer: Tracer; provider: BasicTracerProvider } {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'support-agent' }),
    spanProcessors: [batch ? new BatchSpanProcessor(exporter) : new SimpleSpanProcessor(exporter)],
  })
  return { tracer: provider.getTracer('agent', '1.0.0'), provider }
}

/** An agent turn: plan → LLM call → tool, as an instrumented framework emits it. */
function agentTurn(tracer: Tracer, sessionId: string): string {
  const root = tracer.startSpan('agent.turn', {
    kind: SpanKind.INTERNAL,
    attributes: { 'session.id': sessionId, 'user.id': 'user-7' },
  })
  const ctx = trace.setSpan(context.active(), root)
  const llm = tracer.startSpan(
    'chat gpt-4o-mini',
    {
      kind: SpanKind.CLIENT,
      attributes: {
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': 'openai',
        'gen_ai.request.model': 'gpt-4o-mini',
        'gen_ai.response.model': 'gpt-4o-mini-2024-07-18',
        'gen_ai.usage.input_tokens': 1200,
        'gen_ai.usage.output_tokens': 300,
        'my.custom.attribute': 'kept',
      },
    },
    ctx,
  )
  llm.end()
  const tool = tracer.startSpan(
    'execute_tool lookup_order',
    { attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': 'lookup_order' } },
    ctx,
  )
  tool.setStatus({ code: SpanStatusCode.ERROR, message: 'order not found' })
  tool.end()
  root.end()
  return root.spanContext().traceId
}

async function spansOf(traceId: string) {
  const rs = await reader.query({
    query: `SELECT SpanName, ParentSpanId, tenant_id, session_id, user_id, span_type, provider, request_model, response_model,
              input_tokens, output_tokens, toString(cost_usd) AS cost, cost_source, is_error, StatusMessage, ServiceName, ScopeName,
              SpanAttributes['my.custom.attribute'] AS custom, Duration
            FROM loopgate.spans WHERE TraceId = {t:String} ORDER BY Timestamp`,
    query_params: { t: traceId },
    format: 'JSONEachRow',
  })
  return rs.json<Record<string, string | number>>()
}

describe('ingest from the real OpenTelemetry SDK', () => {
  it.each([
    [
      'protobuf',
      (url: string) =>
        new ProtoExporter({ url: `${url}/v1/traces`, headers: { Authorization: 'Bearer acme-ingest-key-1' } }),
    ],
    [
      'JSON',
      (url: string) =>
        new JsonExporter({ url: `${url}/v1/traces`, headers: { Authorization: 'Bearer acme-ingest-key-1' } }),
    ],
    [
      'gzip protobuf',
      (url: string) =>
        new ProtoExporter({
          url: `${url}/v1/traces`,
          headers: { Authorization: 'Bearer acme-ingest-key-1' },
          compression: CompressionAlgorithm.GZIP,
        }),
    ],
  ])(
    "stores an agent trace exported as %s, normalized and attributed to the key's tenant",
    async (_name, makeExporter) => {
      const { tracer, provider } = tracerFor(makeExporter(collector.url), true)
      const traceId = agentTurn(tracer, 'sess-1')
      await provider.forceFlush()
      await provider.shutdown()

      const rows = await spansOf(traceId)
      expect(rows).toHaveLength(3)
      for (const r of rows) {
        expect(r.tenant_id).toBe('acme')
        expect(r.session_id).toBe('sess-1') // propagated from the root to every span of the trace
        expect(r.user_id).toBe('user-7')
        expect(r.ServiceName).toBe('support-agent')
      }
      const llm = rows.find((r) => r.SpanName === 'chat gpt-4o-mini')!
      expect(llm).toMatchObject({
        span_type: 'llm',
        provider: 'openai',
        request_model: 'gpt-4o-mini',
        response_model: 'gpt-4o-mini-2024-07-18',
        custom: 'kept',
      })
      expect(Number(llm.input_tokens)).toBe(1200)
      expect(Number(llm.output_tokens)).toBe(300)
      expect(llm.cost_source).toBe('computed')
      expect(Number(llm.cost)).toBeGreaterThan(0)
      const tool = rows.find((r) => r.SpanName === 'execute_tool lookup_order')!
      expect(Number(tool.is_error)).toBe(1)
      expect(tool.StatusMessage).toBe('order not found')
    },
  )

  it('credits a session with child spans exported before the root span that names it', async () => {
    const { tracer, provider } = tracerFor(
      new ProtoExporter({ url: `${collector.url}/v1/traces`, headers: { Authorization: 'Bearer acme-ingest-key-1' } }),
    )
    const traceId = agentTurn(tracer, 'sess-late') // children end (and are exported) first, the root last
    await provider.shutdown()
    const rows = await spansOf(traceId)
    // Stored rows are never rewritten: only the root carries the session …
    expect(Object.fromEntries(rows.map((r) => [r.SpanName, r.session_id]))).toEqual({
      'agent.turn': 'sess-late',
      'chat gpt-4o-mini': '',
      'execute_tool lookup_order': '',
    })
    const rs = await reader.query({
      query: `SELECT sum(spans) AS spans, sum(llm_calls) AS llm, toString(sum(cost_usd)) AS cost, max(user_id) AS user
              FROM loopgate.sessions WHERE tenant_id = 'acme' AND session_id = 'sess-late'`,
      format: 'JSONEachRow',
    })
    // … yet the session's rollup counts all three.
    const [session] = await rs.json<{ spans: string; llm: string; cost: string; user: string }>()
    const llmCost = rows.find((r) => r.SpanName === 'chat gpt-4o-mini')!.cost
    expect(session).toMatchObject({ user: 'user-7', cost: llmCost })
    expect(Number(session!.spans)).toBe(3)
    expect(Number(session!.llm)).toBe(1)
  })

  it('keeps the valid spans of a batch and reports the rejected ones as partial success', async () => {
    const now = BigInt(Date.now()) * 1_000_000n
    const span = (spanId: string) => ({
      traceId: 'ab'.repeat(16),
      spanId,
      name: `s-${spanId}`,
      kind: 1,
      startTimeUnixNano: String(now),
      endTimeUnixNano: String(now + 100_000_000n),
    })
    const body = {
      resourceSpans: [
        {
          resource: { attributes: [] },
          scopeSpans: [{ scope: { name: 't' }, spans: [span('0102030405060708'), span('0102')] }],
        },
      ],
    }
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(res.status).toBe(200)
    const answer = await json(res)
    expect(Number(answer.partialSuccess.rejectedSpans)).toBe(1)
    expect(answer.partialSuccess.errorMessage).toMatch(/span/i)
    const rows = await spansOf('ab'.repeat(16))
    expect(rows.map((r) => r.SpanName)).toEqual(['s-0102030405060708'])
    expect(rows[0]!.tenant_id).toBe('default') // unauthenticated loopback ingest
  })

  it('refuses spans older than the retention window with a reason, keeping the others', async () => {
    const now = BigInt(Date.now()) * 1_000_000n
    const old = now - 31n * 86_400_000_000_000n
    const span = (spanId: string, start: bigint) => ({
      traceId: 'cd'.repeat(16),
      spanId,
      name: `r-${spanId}`,
      startTimeUnixNano: String(start),
      endTimeUnixNano: String(start + 1000n),
    })
    const body = {
      resourceSpans: [{ scopeSpans: [{ spans: [span('1111111111111111', now), span('2222222222222222', old)] }] }],
    }
    const res = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const answer = await json(res)
    expect(Number(answer.partialSuccess.rejectedSpans)).toBe(1)
    expect(answer.partialSuccess.errorMessage).toMatch(/30-day retention window/)
    expect((await spansOf('cd'.repeat(16))).map((r) => r.SpanName)).toEqual(['r-1111111111111111'])
  })

  it('answers 400 with a reason for a truncated protobuf and for invalid JSON, and stays up', async () => {
    const exporterBody = await (async () => {
      let captured: Uint8Array | undefined
      const server = await import('node:http').then(({ createServer }) =>
        createServer((req, res) => {
          const chunks: Buffer[] = []
          req
            .on('data', (c) => chunks.push(c))
            .on('end', () => {
              captured = Buffer.concat(chunks)
              res.end()
            })
        }),
      )
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
      const port = (server.address() as { port: number }).port
      const { tracer, provider } = tracerFor(new ProtoExporter({ url: `http://127.0.0.1:${port}/v1/traces` }))
      agentTurn(tracer, 'sess-x')
      await provider.shutdown()
      server.close()
      return captured!
    })()
    const truncated = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: exporterBody.subarray(0, exporterBody.length - 7),
    })
    expect(truncated.status).toBe(400)
    const invalid = await fetch(`${collector.url}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"resourceSpans": [',
    })
    expect(invalid.status).toBe(400)
    expect((await json(invalid)).message).toMatch(/JSON/)
    expect((await fetch(`${collector.url}/healthz`)).status).toBe(200)
  })

  it('keeps acknowledged spans across a restart on the same data directory', async () => {
    const { tracer, provider } = tracerFor(new ProtoExporter({ url: `${collector.url}/v1/traces` }))
    const traceId = agentTurn(tracer, 'sess-restart')
    await provider.shutdown()
    expect(await spansOf(traceId)).toHaveLength(3)

    await collector.close()
    collector = await startTestCollector({ tenants, dataDir: collector.dataDir })
    expect(await spansOf(traceId)).toHaveLength(3)
  })
})

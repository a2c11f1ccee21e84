import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain'
import * as CallbackManagerModule from '@langchain/core/callbacks/manager'
import { StringOutputParser } from '@langchain/core/output_parsers'
import { ChatPromptTemplate } from '@langchain/core/prompts'
import { tool } from '@langchain/core/tools'
import { ChatOpenAI } from '@langchain/openai'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { storageConfigSchema } from '../../collector/config.ts'
import { createStorageClient } from '../../collector/storage/client.ts'
import { startSimulator } from '../../gateway/simulator/index.ts'
import { startTestCollector } from '../helpers/collector.ts'

/**
 * A real trace producer: a LangChain app instrumented by OpenInference's LangChain instrumentation,
 * exporting with the OpenTelemetry SDK to the collector, its model served by the local simulator.
 */
const collector = await startTestCollector({
  tenants: [{ id: 'acme', ingestKeys: ['acme-ingest-key-1'], readKeys: [] }],
})
const reader = await createStorageClient(storageConfigSchema.parse({ path: collector.dataDir }))
const sim = await startSimulator({ apiKeys: ['sk-sim'] })
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'langchain-app' }),
  spanProcessors: [
    new SimpleSpanProcessor(
      new OTLPTraceExporter({
        url: `${collector.url}/v1/traces`,
        headers: { Authorization: 'Bearer acme-ingest-key-1' },
      }),
    ),
  ],
})
new LangChainInstrumentation({ tracerProvider: provider }).manuallyInstrument(CallbackManagerModule)
afterAll(async () => {
  await provider.shutdown()
  await collector.close()
  await reader.close()
  await sim.close()
})

const model = new ChatOpenAI({
  model: 'gpt-4o-mini',
  apiKey: 'sk-sim',
  maxRetries: 0,
  configuration: { baseURL: sim.openaiBaseUrl },
})

async function spansOf(session: string) {
  await provider.forceFlush()
  const rs = await reader.query({
    query: `SELECT TraceId, SpanName, ParentSpanId, tenant_id, session_id, span_type, convention, provider, request_model,
              input_tokens, output_tokens, toString(cost_usd) AS cost, cost_source, billable, input_text, output_text, ServiceName
            FROM loopgate.spans WHERE session_id = {s:String} ORDER BY Timestamp`,
    query_params: { s: session },
    format: 'JSONEachRow',
  })
  return rs.json<Record<string, string | number>>()
}

describe('LangChain with OpenInference instrumentation as a trace producer', () => {
  it('a prompt → model → parser chain: one trace, the LLM call billed and its text kept', async () => {
    const chain = ChatPromptTemplate.fromMessages([
      ['system', 'You answer support questions.'],
      ['human', '{question}'],
    ])
      .pipe(model)
      .pipe(new StringOutputParser())
    const answer = await chain.invoke(
      { question: 'Where is my order 1234?' },
      { metadata: { session_id: 'lc-session-1' } },
    )
    const rows = await spansOf('lc-session-1')
    expect(new Set(rows.map((r) => r.TraceId)).size).toBe(1)
    expect(rows.every((r) => r.tenant_id === 'acme' && r.ServiceName === 'langchain-app')).toBe(true)
    expect(rows.filter((r) => r.ParentSpanId === '')).toHaveLength(1) // the chain is the root
    const llm = rows.filter((r) => Number(r.billable) === 1)
    expect(llm).toHaveLength(1)
    expect(llm[0]).toMatchObject({
      span_type: 'llm',
      convention: 'openinference',
      request_model: 'gpt-4o-mini',
      cost_source: 'computed',
    })
    expect(Number(llm[0]!.input_tokens)).toBeGreaterThan(0)
    expect(Number(llm[0]!.output_tokens)).toBe(16)
    expect(Number(llm[0]!.cost)).toBeGreaterThan(0)
    expect(llm[0]!.input_text).toContain('Where is my order 1234?')
    expect(llm[0]!.output_text).toContain(answer.trim().split(' ')[0])
  })

  it('a tool-calling turn: the tool call and the follow-up are two billed calls in one session', async () => {
    const lookup = tool(async ({ order }) => `order ${order} ships tomorrow`, {
      name: 'lookup_order',
      description: 'Order status',
      schema: z.object({ order: z.string() }),
    })
    const bound = model.bindTools([lookup])
    const config = { metadata: { session_id: 'lc-session-2' } }
    const call = await bound.invoke('Status of order 99?', config)
    expect(call.tool_calls).toHaveLength(1)
    const result = await lookup.invoke(call.tool_calls![0]!, config)
    await bound.invoke(['Status of order 99?', call, result], config)
    const rows = await spansOf('lc-session-2')
    expect(rows.filter((r) => Number(r.billable) === 1)).toHaveLength(2)
    expect(rows.some((r) => r.span_type === 'tool' && r.SpanName === 'lookup_order')).toBe(true)
  })
})

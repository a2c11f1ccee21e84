import { LangChainInstrumentation } from '@arizeai/openinference-instrumentation-langchain'
import * as CallbackManagerModule from '@langchain/core/callbacks/manager'
import { StringOutputParser } from '@langchain/core/output_parsers'
import { ChatPromptTemplate } from '@langchain/core/prompts'
import { tool } from '@langchain/core/tools'
import { ChatOpenAI } from '@langchain/openai'
import { afterAll, describe, expect, it } from 'vitest'
import { z } from 'zod'
import { billed, SIM_KEY, startProducerHarness } from '../helpers/producer.ts'

/**
 * A real trace producer: a LangChain app instrumented by OpenInference's LangChain instrumentation,
 * exporting with the OpenTelemetry SDK to the collector, its model served by the local simulator.
 */
const h = await startProducerHarness('langchain-app')
new LangChainInstrumentation({ tracerProvider: h.provider }).manuallyInstrument(CallbackManagerModule)
afterAll(() => h.close())

const model = new ChatOpenAI({
  model: 'gpt-4o-mini',
  apiKey: SIM_KEY,
  maxRetries: 0,
  configuration: { baseURL: h.sim.openaiBaseUrl },
})

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
    const rows = await h.spansOf('lc-session-1')
    expect(new Set(rows.map((r) => r.TraceId)).size).toBe(1)
    expect(rows.every((r) => r.tenant_id === 'acme' && r.ServiceName === 'langchain-app')).toBe(true)
    expect(rows.filter((r) => r.ParentSpanId === '')).toHaveLength(1) // the chain is the root
    const llm = billed(rows)
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
    const rows = await h.spansOf('lc-session-2')
    expect(billed(rows)).toHaveLength(2)
    expect(rows.some((r) => r.span_type === 'tool' && r.SpanName === 'lookup_order')).toBe(true)
  })
})

import { createOpenAI } from '@ai-sdk/openai'
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai'
import { afterAll, describe, expect, it } from 'vitest'
import { billed, SIM_KEY, startProducerHarness } from '../helpers/producer.ts'

/**
 * A real trace producer: the Vercel AI SDK's own telemetry (`experimental_telemetry`) on an
 * OpenTelemetry SDK tracer exporting to the collector, its model served by the local simulator.
 */
const h = await startProducerHarness('ai-sdk-app')
afterAll(() => h.close())

const model = createOpenAI({ baseURL: h.sim.openaiBaseUrl, apiKey: SIM_KEY }).chat('gpt-4o-mini')
const telemetry = (sessionId: string) => ({
  isEnabled: true,
  tracer: h.provider.getTracer('ai'),
  metadata: { sessionId, userId: 'user-7' },
})

describe('the Vercel AI SDK as a trace producer', () => {
  it('generateText: the call is billed once though the SDK nests it in a root span', async () => {
    const r = await generateText({
      model,
      prompt: 'Where is my order 1234?',
      maxRetries: 0,
      experimental_telemetry: telemetry('ai-session-1'),
    })
    const rows = await h.spansOf('ai-session-1')
    expect(rows.map((x) => x.SpanName).sort()).toEqual(['ai.generateText', 'ai.generateText.doGenerate'])
    expect(new Set(rows.map((x) => x.TraceId)).size).toBe(1)
    expect(rows.every((x) => x.tenant_id === 'acme' && x.user_id === 'user-7')).toBe(true)
    const calls = billed(rows)
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({
      SpanName: 'ai.generateText.doGenerate',
      span_type: 'llm',
      request_model: 'gpt-4o-mini',
      cost_source: 'computed',
    })
    expect(Number(calls[0]!.output_tokens)).toBe(r.usage.outputTokens)
    expect(Number(calls[0]!.cost)).toBeGreaterThan(0)
    expect(calls[0]!.input_text).toContain('Where is my order 1234?')
    expect(calls[0]!.output_text).toContain(r.text.split(' ')[0])
  })

  it('streamText: tokens and text of the streamed call', async () => {
    const r = streamText({ model, prompt: 'Count', maxRetries: 0, experimental_telemetry: telemetry('ai-session-2') })
    let text = ''
    for await (const t of r.textStream) text += t
    const usage = await r.usage
    // The root span ends after the stream has been read to the end.
    const rows = await h.spansOf('ai-session-2')
    const calls = billed(rows)
    expect(calls).toHaveLength(1)
    expect(calls[0]!.SpanName).toBe('ai.streamText.doStream')
    expect(Number(calls[0]!.output_tokens)).toBe(usage.outputTokens)
    expect(calls[0]!.output_text).toContain(text.split(' ')[0])
  })

  it('a tool loop: each model step billed, the tool call a tool span, all in one trace', async () => {
    await generateText({
      model,
      prompt: 'Status of order 99?',
      maxRetries: 0,
      stopWhen: stepCountIs(2),
      tools: {
        lookup_order: tool({
          description: 'Order status',
          inputSchema: jsonSchema<{ order: string }>({
            type: 'object',
            properties: { order: { type: 'string' } },
            required: ['order'],
          }),
          execute: async ({ order }) => `order ${order} ships tomorrow`,
        }),
      },
      experimental_telemetry: telemetry('ai-session-3'),
    })
    const rows = await h.spansOf('ai-session-3')
    expect(new Set(rows.map((x) => x.TraceId)).size).toBe(1)
    expect(billed(rows)).toHaveLength(2)
    expect(rows.filter((x) => x.span_type === 'tool').map((x) => x.SpanName)).toEqual(['ai.toolCall'])
  })
})

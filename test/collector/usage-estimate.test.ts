// Streamed calls whose producer dropped usage (OpenInference and OpenLLMetry record no token counts
// for streams) are billed from their captured text and marked `usage_source = estimated`. The
// fixtures carry usage that the providers themselves published for these exact requests.
import { SpanKind, type Attributes } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { BasicTracerProvider, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base'
import { afterAll, describe, expect, it } from 'vitest'
import { storageConfigSchema } from '../../collector/config.ts'
import { estimateUsage } from '../../lib/token-count.ts'
import { createStorageClient } from '../../collector/storage/client.ts'
import { startTestCollector } from '../helpers/collector.ts'
import { eventually } from '../helpers/net.ts'

const TOLERANCE = 0.15

// The OpenAI cookbook's "How to count tokens with tiktoken" request; the API reported 129 prompt
// tokens for gpt-4-0613 and gpt-3.5-turbo-0613, and 124 for gpt-4o and gpt-4o-mini.
const cookbookMessages = [
  {
    role: 'system',
    content: 'You are a helpful, pattern-following assistant that translates corporate jargon into plain English.',
  },
  { role: 'system', name: 'example_user', content: 'New synergies will help drive top-line growth.' },
  { role: 'system', name: 'example_assistant', content: 'Things working well together will increase revenue.' },
  {
    role: 'system',
    name: 'example_user',
    content: "Let's circle back when we have more bandwidth to touch base on opportunities for increased leverage.",
  },
  {
    role: 'system',
    name: 'example_assistant',
    content: "Let's talk later when we're less busy about how to do better.",
  },
  { role: 'user', content: "This late pivot means we don't have time to boil the ocean for the client deliverable." },
]
// Anthropic's token counting documentation: system "You are a scientist" and "Hello, Claude" → 14 input tokens.
const anthropicMessages = [
  { role: 'system', content: 'You are a scientist' },
  { role: 'user', content: 'Hello, Claude' },
]

/** OpenInference (openinference-instrumentation-openai) on a streamed call: flattened messages, no llm.token_count.*. */
function openInference(model: string, messages: typeof cookbookMessages): Attributes {
  const attrs: Attributes = {
    'openinference.span.kind': 'LLM',
    'llm.model_name': model,
    'llm.provider': 'openai',
    'llm.system': 'openai',
  }
  messages.forEach((m, i) => {
    attrs[`llm.input_messages.${i}.message.role`] = m.role
    attrs[`llm.input_messages.${i}.message.content`] = m.content
    if (m.name) attrs[`llm.input_messages.${i}.message.name`] = m.name
  })
  attrs['llm.output_messages.0.message.role'] = 'assistant'
  attrs['llm.output_messages.0.message.content'] =
    "This sudden change in direction means we don't have enough time to complete the entire project for the client."
  return attrs
}

/** OpenLLMetry / Traceloop on a streamed call: gen_ai.prompt.{i}.*, gen_ai.completion.0.*, no gen_ai.usage.*. */
function openLlmetry(system: string, model: string, messages: { role: string; content: string }[]): Attributes {
  const attrs: Attributes = {
    'llm.request.type': 'chat',
    'gen_ai.system': system,
    'gen_ai.request.model': model,
    'llm.is_streaming': true,
  }
  messages.forEach((m, i) => {
    attrs[`gen_ai.prompt.${i}.role`] = m.role
    attrs[`gen_ai.prompt.${i}.content`] = m.content
  })
  attrs['gen_ai.completion.0.role'] = 'assistant'
  attrs['gen_ai.completion.0.content'] = 'Hello! How can I help with your research today?'
  return attrs
}

const fixtures = [
  {
    name: 'OpenInference stream, cookbook request, gpt-4-0613',
    attributes: openInference('gpt-4-0613', cookbookMessages),
    input: 129,
  },
  {
    name: 'OpenInference stream, cookbook request, gpt-4o-mini',
    attributes: openInference('gpt-4o-mini', cookbookMessages),
    input: 124,
  },
  {
    name: 'OpenLLMetry stream, cookbook request, gpt-3.5-turbo-0613',
    attributes: openLlmetry('openai', 'gpt-3.5-turbo-0613', cookbookMessages),
    input: 129,
  },
  {
    name: 'OpenLLMetry stream, Anthropic docs request, claude-sonnet-4',
    attributes: openLlmetry('anthropic', 'claude-sonnet-4-20250514', anthropicMessages),
    input: 14,
  },
]

const collector = await startTestCollector({
  tenants: [{ id: 'acme', ingestKeys: ['acme-ingest-key-1'], readKeys: [] }],
  collector: { writer: { lingerMs: 0 } },
})
const reader = await createStorageClient(storageConfigSchema.parse({ path: collector.dataDir }))
afterAll(async () => {
  await collector.close()
  await reader.close()
})

const exporter = new OTLPTraceExporter({
  url: `${collector.url}/v1/traces`,
  headers: { authorization: 'Bearer acme-ingest-key-1' },
})
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'streaming-agent' }),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
})
const tracer = provider.getTracer('fixtures')

interface Row {
  SpanName: string
  input_tokens: number | string
  output_tokens: number | string
  usage_source: string
  cost_source: string
  cost: string
  billable: number
}

async function stored(traceIds: string[], count: number): Promise<Row[]> {
  return eventually(
    `${count} spans stored`,
    async () => {
      const rs = await reader.query({
        query: `SELECT SpanName, input_tokens, output_tokens, usage_source, cost_source, toString(cost_usd) AS cost, billable
              FROM loopgate.spans WHERE TraceId IN {ids:Array(String)} ORDER BY SpanName`,
        query_params: { ids: traceIds },
        format: 'JSONEachRow',
      })
      const rows = await rs.json<Row>()
      return rows.length === count ? rows : undefined
    },
    20_000,
  )
}

describe('usage estimated for streamed calls without reported usage', () => {
  it(`bills each fixture within ±${TOLERANCE * 100}% of the usage its provider reported, marked estimated`, async () => {
    const ids = fixtures.map((f) => {
      const span = tracer.startSpan(f.name, { kind: SpanKind.CLIENT, attributes: f.attributes })
      span.end()
      return span.spanContext().traceId
    })
    await provider.forceFlush()
    const rows = await stored(ids, fixtures.length)
    for (const f of fixtures) {
      const row = rows.find((r) => r.SpanName === f.name)!
      const input = Number(row.input_tokens)
      const error = (input - f.input) / f.input
      console.log(
        `${f.name}: estimated ${input} input tokens vs ${f.input} reported (${(error * 100).toFixed(1)}%), ${row.output_tokens} output`,
      )
      expect(Math.abs(error)).toBeLessThanOrEqual(TOLERANCE)
      expect(Number(row.output_tokens)).toBeGreaterThan(5)
      expect(row).toMatchObject({ usage_source: 'estimated', billable: 1 })
    }
    // Priced from the estimate where the price table knows the model.
    const gpt4 = rows.find((r) => r.SpanName.endsWith('gpt-4-0613'))!
    expect(gpt4.cost_source).toBe('computed')
    expect(Number(gpt4.cost)).toBeGreaterThan(0)
  })

  it('keeps reported usage as measured, even zero, and never estimates non-LLM spans', async () => {
    const reported = tracer.startSpan('reported', {
      attributes: {
        ...openInference('gpt-4o-mini', cookbookMessages),
        'llm.token_count.prompt': 130,
        'llm.token_count.completion': 20,
      },
    })
    reported.end()
    const zero = tracer.startSpan('reported zero output', {
      attributes: {
        ...openInference('gpt-4o-mini', cookbookMessages),
        'llm.token_count.prompt': 124,
        'llm.token_count.completion': 0,
      },
    })
    zero.end()
    const tool = tracer.startSpan('tool step', {
      attributes: { 'openinference.span.kind': 'TOOL', 'input.value': 'a long tool input that is not a model call' },
    })
    tool.end()
    await provider.forceFlush()
    const rows = await stored(
      [reported, zero, tool].map((s) => s.spanContext().traceId),
      3,
    )
    expect(rows.map((r) => [r.SpanName, Number(r.input_tokens), Number(r.output_tokens), r.usage_source])).toEqual([
      ['reported', 130, 20, 'measured'],
      ['reported zero output', 124, 0, 'measured'],
      ['tool step', 0, 0, ''],
    ])
  })
})

describe('estimateUsage', () => {
  it('reads the message shapes producers capture: a list, {messages}, content parts, a plain prompt', () => {
    const list = estimateUsage('gpt-4o', JSON.stringify(cookbookMessages), '')
    expect(list.input).toBe(124)
    expect(
      estimateUsage('gpt-4o', JSON.stringify({ model: 'gpt-4o', stream: true, messages: cookbookMessages }), '').input,
    ).toBe(124)
    const parts = cookbookMessages.map((m) => ({ ...m, content: [{ type: 'text', text: m.content }] }))
    expect(estimateUsage('gpt-4o', JSON.stringify(parts), '').input).toBe(124)
    // A plain prompt is framed as one user message; an answer counts its text only.
    const plain = estimateUsage('gpt-4o', 'Say hi', 'Hi there!')
    expect(plain).toEqual({ input: 3 + 1 + 2 + 3, output: 3 })
  })

  it('bounds the work on huge captured text (bytes / 4 beyond 256 KiB)', () => {
    const huge = 'word '.repeat(100_000)
    expect(estimateUsage('gpt-4o', huge, huge)).toEqual({ input: 125_000, output: 125_000 })
  })
})

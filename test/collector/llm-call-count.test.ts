// The counting rule decided at ingest: exactly one billable row per LLM call, with or without
// usage, for every producer convention (docs/normalization.md › One row per LLM call).
import { describe, expect, it } from 'vitest'
import { Normalizer, type NormalizeContext } from '../../collector/normalize/index.ts'
import type { SpanRow } from '../../collector/storage/span-row.ts'
import {
  emit,
  gatewaySpans,
  langfuseSpans,
  oldGenAiSpans,
  openInferenceSpans,
  traceloopSpans,
  vercelSpans,
  type SpanSpec,
} from './fixtures/conventions.ts'

const producer: NormalizeContext = { tenantId: 'default', trustTenantAttribute: false }
const gateway: NormalizeContext = { tenantId: 'default', trustTenantAttribute: true }

function rowsOf(spec: SpanSpec, c: NormalizeContext = producer): SpanRow[] {
  const result = new Normalizer().normalize(emit(spec), c)
  expect(result.rejected).toBe(0)
  return result.rows
}

const billed = (rows: SpanRow[]) =>
  rows
    .filter((r) => r.billable === 1)
    .map((r) => r.SpanName)
    .sort()

/** The spec with the named attributes removed from every span (a producer that dropped usage, as streams do). */
function without(spec: SpanSpec, drop: (key: string) => boolean): SpanSpec {
  const attributes = Object.fromEntries(Object.entries(spec.attributes).filter(([k]) => !drop(k)))
  return { ...spec, attributes, children: spec.children?.map((c) => without(c, drop)) }
}

const USAGE = /token|usage|cost/

describe('one billable row per LLM call', () => {
  it('gateway request with two attempts (a 429, then the answer): the request span only', () => {
    for (const c of [gateway, producer]) {
      const rows = rowsOf(gatewaySpans, c)
      expect(rows).toHaveLength(3)
      expect(billed(rows)).toEqual(['chat gpt-4o'])
    }
  })

  it('gateway request whose every attempt failed (no usage anywhere): still one call, an error', () => {
    const failed: SpanSpec = {
      ...without(gatewaySpans, (k) => USAGE.test(k) || k === 'gen_ai.response.model'),
      attributes: { ...without(gatewaySpans, (k) => USAGE.test(k)).attributes, 'loopgate.route.failed': true },
    }
    const rows = rowsOf(failed, gateway)
    expect(billed(rows)).toEqual(['chat gpt-4o'])
    expect(rows.find((r) => r.billable === 1)).toMatchObject({ is_error: 1, input_tokens: 0, cost_usd: '0' })
  })

  it('gateway request answered without usage (a stream the upstream sent no usage for): one call', () => {
    const rows = rowsOf(
      without(gatewaySpans, (k) => USAGE.test(k)),
      gateway,
    )
    expect(billed(rows)).toEqual(['chat gpt-4o'])
  })

  it('Vercel AI SDK: the doGenerate child, never its ai.generateText root (same usage on both)', () => {
    const rows = rowsOf(vercelSpans)
    expect(billed(rows)).toEqual(['ai.generateText.doGenerate'])
    const root = rows.find((r) => r.SpanName === 'ai.generateText')!
    expect(root).toMatchObject({ span_type: 'chain', billable: 0, cost_usd: '0' })
    // The root keeps its reported usage in its columns, but only the billable row is summed.
    const sum = rows.filter((r) => r.billable === 1).reduce((n, r) => n + r.input_tokens, 0)
    expect(sum).toBe(2000)
  })

  it('Vercel AI SDK streaming without usage: the doStream child still counts once', () => {
    const stream: SpanSpec = JSON.parse(
      JSON.stringify(without(vercelSpans, (k) => USAGE.test(k))).replaceAll('doGenerate', 'doStream'),
    )
    const rows = rowsOf(stream)
    expect(billed(rows)).toEqual(['ai.generateText.doStream'])
  })

  for (const [name, spec, llm] of [
    ['OpenInference', openInferenceSpans, 'ChatCompletion'],
    ['OpenLLMetry', traceloopSpans, 'anthropic.chat'],
    ['Langfuse', langfuseSpans, 'openai-generation'],
  ] as const) {
    it(`${name}: the LLM span with usage counts once`, () => {
      expect(billed(rowsOf(spec))).toEqual([llm])
    })
    it(`${name}: the LLM span without usage (a stream) counts once too`, () => {
      const rows = rowsOf(without(spec, (k) => USAGE.test(k)))
      expect(billed(rows)).toEqual([llm])
      // Its usage is then counted from the captured text (docs/normalization.md › estimated).
      const call = rows.find((r) => r.billable === 1)!
      expect(call.usage_source).toBe('estimated')
      expect(call.input_tokens).toBeGreaterThan(0)
    })
  }

  it('older GenAI semconv (model + tokens, no kind attribute): one call', () => {
    expect(billed(rowsOf(oldGenAiSpans))).toHaveLength(1)
  })
})

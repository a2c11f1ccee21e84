// Rule 10: one price lookup decides every cost. Each component is asked through its own cost entry
// point (the gateway's target price and cost, the collector's normalizer, the evaluator's cost scorer)
// and all three must give the same exact answer, for tiered rates and for cached-token rates.
import { describe, expect, it } from 'vitest'
import { Normalizer } from '../../collector/normalize/index.ts'
import { costDraft } from '../../evaluator/scorers/cost.ts'
import { costUnits, targetQuote } from '../../gateway/pricing.ts'
import { usdUnits } from '../../lib/money.ts'
import { emit } from '../collector/fixtures/conventions.ts'
import { apiSpan } from '../evaluator/span-fixture.ts'

interface Case {
  what: string
  /** The provider as a producer names it (gen_ai.provider.name) and as the gateway's priceProviderId. */
  provider: string
  model: string
  input: number
  output: number
  cacheRead: number
  cacheWrite: number
  /** Worked out by hand from the table's per-Mtok rates. */
  expected: string
}

const cases: Case[] = [
  // gemini-2.5-pro: above 200k total input every rate takes its tier: input 2.5, cache read 0.25, output 15.
  // 200,000 × 2.5e-6 + 50,000 × 0.25e-6 + 1,000 × 15e-6
  {
    what: 'tiered rates above the tier',
    provider: 'gcp.gemini',
    model: 'gemini-2.5-pro',
    input: 250_000,
    output: 1_000,
    cacheRead: 50_000,
    cacheWrite: 0,
    expected: '0.5275',
  },
  // below it: 600 × 1.25e-6 + 400 × 0.125e-6 + 333 × 10e-6
  {
    what: 'tiered rates below the tier',
    provider: 'gcp.gemini',
    model: 'gemini-2.5-pro',
    input: 1_000,
    output: 333,
    cacheRead: 400,
    cacheWrite: 0,
    expected: '0.00413',
  },
  // claude-sonnet-4: 5,000 × 3e-6 + 2,000 × 0.3e-6 (read) + 3,000 × 3.75e-6 (write) + 777 × 15e-6
  {
    what: 'cache read and write rates',
    provider: 'anthropic',
    model: 'claude-sonnet-4-20250514',
    input: 10_000,
    output: 777,
    cacheRead: 2_000,
    cacheWrite: 3_000,
    expected: '0.038505',
  },
  // Bedrock as the Vercel AI SDK names it (the evaluator once did not know this name): 0.015 + 0.0006 + 0.01125 + 0.011655
  {
    what: 'a provider alias',
    provider: 'amazon-bedrock',
    model: 'anthropic.claude-sonnet-4-20250514-v1:0',
    input: 10_000,
    output: 777,
    cacheRead: 2_000,
    cacheWrite: 3_000,
    expected: '0.038505',
  },
  // gpt-4o-mini: 3 tokens where binary floats are not exact: 2 × 0.15e-6 + 1 × 0.075e-6 + 7 × 0.6e-6
  {
    what: 'cache reads at a separate rate, exact',
    provider: 'openai',
    model: 'gpt-4o-mini',
    input: 3,
    output: 7,
    cacheRead: 1,
    cacheWrite: 0,
    expected: '0.000004575',
  },
]

function gatewayCost(c: Case): bigint {
  const quote = targetQuote(undefined, c.provider, c.model)
  expect(quote, 'the gateway found a table price').toBeDefined()
  return costUnits({ input: c.input, output: c.output, cacheRead: c.cacheRead, cacheWrite: c.cacheWrite }, quote!)
}

function collectorCost(c: Case): bigint {
  const request = emit({
    name: `chat ${c.model}`,
    attributes: {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': c.provider,
      'gen_ai.request.model': c.model,
      'gen_ai.usage.input_tokens': c.input,
      'gen_ai.usage.output_tokens': c.output,
      'gen_ai.usage.cache_read.input_tokens': c.cacheRead,
      'gen_ai.usage.cache_creation.input_tokens': c.cacheWrite,
    },
  })
  const { rows } = new Normalizer().normalize(request, { tenantId: 'default', trustTenantAttribute: false })
  expect(rows).toHaveLength(1)
  expect(rows[0]).toMatchObject({
    cost_source: 'computed',
    input_tokens: c.input,
    cache_read_tokens: c.cacheRead,
    cache_write_tokens: c.cacheWrite,
  })
  return usdUnits(rows[0]!.cost_usd)
}

function evaluatorCost(c: Case): bigint {
  const span = apiSpan({
    provider: c.provider,
    request_model: c.model,
    response_model: c.model,
    cost_usd: '0',
    cost_source: 'none',
    input_tokens: c.input,
    output_tokens: c.output,
    cache_read_tokens: c.cacheRead,
    cache_write_tokens: c.cacheWrite,
  })
  const draft = costDraft(span, 0.01)
  expect(draft.label).toBe('computed')
  const found = /table cost (\S+) USD/.exec(draft.reason ?? '')
  expect(found, draft.reason).not.toBeNull()
  return usdUnits(found![1]!)
}

describe('one price lookup for gateway, collector and evaluator', () => {
  for (const c of cases) {
    it(`agrees on ${c.what} (${c.provider}/${c.model})`, () => {
      const expected = usdUnits(c.expected)
      expect({ gateway: gatewayCost(c), collector: collectorCost(c), evaluator: evaluatorCost(c) }).toEqual({
        gateway: expected,
        collector: expected,
        evaluator: expected,
      })
    })
  }
})

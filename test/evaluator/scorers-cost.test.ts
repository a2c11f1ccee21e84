import { describe, expect, it } from 'vitest'
import { createCostScorer } from '../../evaluator/scorers/cost.ts'
import { formatRounded, parseScaled } from '../../lib/money.ts'
import { apiSpan, context } from './span-fixture.ts'

const scorer = createCostScorer()
const run = async (overrides: Parameters<typeof apiSpan>[0], costTolerance = 0.01) => {
  const span = apiSpan(overrides)
  return (await scorer.score(span, context(span, { costTolerance })))[0]!
}

describe('cost scorer', () => {
  it('computes the exact table cost when the span has none', async () => {
    // gpt-4o-mini: 0.15 USD/Mtok in, 0.60 USD/Mtok out → 1000 × 0.00000015 + 500 × 0.0000006
    const d = await run({ cost_usd: '0', cost_source: 'none' })
    expect(d).toMatchObject({ name: 'cost', data_type: 'categorical', label: 'computed', status: 'ok', value: 0.00045 })
    expect(d.reason).toContain('table cost 0.00045 USD for openai/gpt-4o-mini')
  })

  it('stays exact where binary floats are not (cache reads at a separate rate)', async () => {
    const d = await run({ input_tokens: 3, output_tokens: 7, cache_read_tokens: 1 })
    // 2 × 0.00000015 + 1 × 0.000000075 + 7 × 0.0000006 = 0.000004575
    expect(d.reason).toContain('0.000004575 USD')
  })

  it('agrees with a provided cost inside the tolerance and flags one beyond it', async () => {
    expect(await run({ cost_usd: '0.000452', cost_source: 'provided' })).toMatchObject({ label: 'agrees' })
    const off = await run({ cost_usd: '0.0009', cost_source: 'provided' })
    expect(off).toMatchObject({ label: 'disagrees', value: 0.0009 })
    expect(off.reason).toContain('0.0009 USD vs table 0.00045 USD')
    expect(off.reason).toContain('(100%) exceeds tolerance 1%')
    expect(await run({ cost_usd: '0.0009', cost_source: 'provided' }, 1.5)).toMatchObject({ label: 'agrees' })
  })

  it("checks a configured target price before the table (the demo's simulated models are in no table)", async () => {
    const priced = createCostScorer(undefined, [{ target: 'sim-openai/sim-large', input: '2.5', output: '10' }])
    const span = apiSpan({
      provider: 'sim-openai',
      target: 'sim-openai/sim-large',
      request_model: 'sim-large',
      response_model: 'sim-large',
      cost_usd: '0.0075',
      cost_source: 'provided',
    })
    // 1000 × 2.5/1M + 500 × 10/1M = 0.0075
    const d = (await priced.score(span, context(span, { costTolerance: 0.01 })))[0]!
    expect(d).toMatchObject({ label: 'agrees', value: 0.0075 })
    expect(d.reason).toContain('vs configured price 0.0075 USD for sim-openai/sim-large')
    const wrong = apiSpan({ ...span, cost_usd: '0.01' })
    expect((await priced.score(wrong, context(wrong, { costTolerance: 0.01 })))[0]).toMatchObject({
      label: 'disagrees',
    })
    const none = apiSpan({ ...span, cost_usd: '0', cost_source: 'none' })
    expect((await priced.score(none, context(none, { costTolerance: 0.01 })))[0]).toMatchObject({
      label: 'computed',
      value: 0.0075,
    })
    // Without the configured price it stays unverified, as before.
    expect(await run({ ...span })).toMatchObject({ label: 'unverified' })
  })

  it('says when the model is not in the table', async () => {
    expect(await run({ provider: 'simulated', request_model: 'sim-large', response_model: 'sim-large' })).toMatchObject(
      { label: 'unpriced' },
    )
    expect(
      await run({ provider: 'simulated', response_model: 'sim-large', cost_usd: '0.01', cost_source: 'provided' }),
    ).toMatchObject({ label: 'unverified' })
    expect(await run({ request_model: '', response_model: '' })).toMatchObject({ label: 'unpriced' })
  })

  it('keeps decimals exact in its arithmetic', () => {
    expect(formatRounded(parseScaled('0.1', 24)! + parseScaled('0.2', 24)!, 24, 12)).toBe('0.3')
    expect(formatRounded(parseScaled(1e-7, 24)!, 24, 12)).toBe('0.0000001')
    expect(formatRounded(parseScaled('0.0000000000005', 24)!, 24, 12)).toBe('0.000000000001')
    expect(parseScaled('-1', 24)).toBeNull()
    expect(parseScaled('abc', 24)).toBeNull()
  })
})

import { describe, expect, it } from 'vitest'
import { createHeuristicsScorer } from '../../evaluator/scorers/heuristics.ts'
import type { ScoreDraft } from '../../evaluator/scorers/types.ts'
import { apiSpan, context } from './span-fixture.ts'

const scorer = createHeuristicsScorer()
const run = async (overrides: Parameters<typeof apiSpan>[0], evaluation = {}) => {
  const span = apiSpan(overrides)
  const drafts = await scorer.score(span, context(span, evaluation))
  return Object.fromEntries(drafts.map((d) => [d.name.replace('heuristics.', ''), d])) as Record<string, ScoreDraft>
}

describe('heuristics scorer', () => {
  it('passes a normal answer on every check that applies', async () => {
    const s = await run({})
    expect(Object.keys(s).sort()).toEqual(['empty', 'error', 'refusal', 'truncated'])
    for (const d of Object.values(s)) expect(d).toMatchObject({ data_type: 'boolean', value: true, status: 'ok' })
  })

  it('flags an error and skips answer checks for it', async () => {
    const s = await run({ is_error: true, status_code: 'Error', status_message: 'upstream 503', output_text: '' })
    expect(s.error).toMatchObject({ value: false })
    expect(s.error!.reason).toContain('upstream 503')
    expect(s.empty).toBeUndefined()
  })

  it('says why a call failed in words, never a bare status code such as "Unset"', async () => {
    const reason = async (overrides: Parameters<typeof apiSpan>[0]) =>
      (await run({ is_error: true, status_message: '', output_text: '', ...overrides })).error!.reason
    expect(
      await reason({
        status_code: 'Unset',
        attributes: { 'error.type': 'RateLimitError', 'http.response.status_code': '429' },
      }),
    ).toBe('the call failed: error type "RateLimitError", HTTP 429')
    expect(await reason({ status_code: 'Unset', attributes: { 'loopgate.route.failed': 'true' } })).toBe(
      'the call failed: every target of the route failed',
    )
    expect(await reason({ status_code: 'Error' })).toBe('the call failed: the span has error status, with no message')
    const unset = await reason({ status_code: 'Unset', attributes: {} })
    expect(unset).not.toContain('Unset')
    expect(unset).toBe('the call failed: the span is marked as an error (by an error attribute), with no message')
  })

  it('flags an empty answer, but not an empty tool call', async () => {
    expect((await run({ output_text: '   \n' })).empty).toMatchObject({ value: false, reason: 'the answer is empty' })
    expect((await run({ output_text: '', finish_reason: 'tool_calls' })).empty).toMatchObject({ value: true })
  })

  it('flags refusals at the start of the answer, not quoted ones later', async () => {
    expect((await run({ output_text: "I'm sorry, but I can't help with that request." })).refusal).toMatchObject({
      value: false,
    })
    expect((await run({ output_text: 'I cannot assist with creating malware.' })).refusal).toMatchObject({
      value: false,
    })
    const quoted = `${'Here is a long explanation of the policy. '.repeat(10)}A model might say "I cannot help with that".`
    expect((await run({ output_text: quoted })).refusal).toMatchObject({ value: true })
  })

  it('flags an answer cut at the token limit', async () => {
    const s = await run({ finish_reason: 'length' })
    expect(s.truncated).toMatchObject({ value: false })
    expect(s.truncated!.reason).toContain('length')
  })

  it('checks JSON validity only when JSON was requested', async () => {
    const asked = { 'loopgate.response_format': JSON.stringify({ type: 'json_object' }) }
    expect((await run({ attributes: asked, output_text: '{"answer": 4}' })).json_valid).toMatchObject({ value: true })
    const bad = (await run({ attributes: asked, output_text: '```json\n{"answer": 4}\n```' })).json_valid
    expect(bad).toMatchObject({ value: false, status: 'ok' })
    expect(
      (await run({ attributes: { 'gen_ai.output.type': 'json' }, output_text: 'plain words' })).json_valid,
    ).toMatchObject({ value: false })
    expect((await run({ output_text: 'not json at all' })).json_valid).toBeUndefined()
  })

  it('checks conformance to a requested JSON schema', async () => {
    const schema = {
      type: 'object',
      properties: { answer: { type: 'number' } },
      required: ['answer'],
      additionalProperties: false,
    }
    const attributes = {
      'loopgate.response_format': JSON.stringify({ type: 'json_schema', json_schema: { name: 'a', schema } }),
    }
    expect((await run({ attributes, output_text: '{"answer": 4}' })).json_schema).toMatchObject({ value: true })
    const wrong = (await run({ attributes, output_text: '{"answer": "four"}' })).json_schema!
    expect(wrong).toMatchObject({ value: false, status: 'ok' })
    expect(wrong.reason).toContain('/answer')
    expect((await run({ attributes, output_text: 'nope' })).json_schema).toMatchObject({ value: false })
    const openinference = {
      'llm.invocation_parameters': JSON.stringify({
        temperature: 0,
        response_format: { type: 'json_schema', json_schema: { schema } },
      }),
    }
    expect((await run({ attributes: openinference, output_text: '{}' })).json_schema).toMatchObject({ value: false })
  })

  it('turns an invalid requested schema into a failed evaluation, not a verdict', async () => {
    const attributes = {
      'loopgate.response_format': JSON.stringify({
        type: 'json_schema',
        json_schema: { schema: { type: 'no-such-type' } },
      }),
    }
    const s = await run({ attributes, output_text: '{}' })
    expect(s.json_schema).toMatchObject({ status: 'failed' })
    expect(s.json_schema!.reason).toContain('invalid')
  })

  it('checks latency against the route SLO when one is set', async () => {
    expect((await run({ duration_ms: 850 }, { sloMs: 1000 })).latency_slo).toMatchObject({ value: true })
    expect((await run({ duration_ms: 1500 }, { sloMs: 1000 })).latency_slo).toMatchObject({
      value: false,
      reason: '1500 ms over the 1000 ms SLO',
    })
    expect((await run({ duration_ms: 1500 })).latency_slo).toBeUndefined()
  })

  it('copes with huge and non-UTF-8 outputs: bounded, well-formed reasons', async () => {
    const huge = `I'm sorry, but I can't do that. ${'x'.repeat(5_000_000)}`
    const s = await run({ output_text: huge, attributes: { 'gen_ai.output.type': 'json' } })
    expect(s.refusal).toMatchObject({ value: false })
    expect(s.json_valid).toMatchObject({ value: false })
    for (const d of Object.values(s)) expect(d.reason.length).toBeLessThan(1000)
    const broken = "\uD800I'm sorry, but I cannot help \uFFFD\uDC00"
    const b = await run({ output_text: broken })
    expect(JSON.parse(JSON.stringify(b.refusal!.reason))).not.toMatch(/[\uD800-\uDFFF]/)
  })
})

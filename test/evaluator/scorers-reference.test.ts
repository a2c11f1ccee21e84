import { describe, expect, it } from 'vitest'
import { compare, createReferenceScorer, extractAnswer } from '../../evaluator/scorers/reference.ts'
import { apiSpan, context } from './span-fixture.ts'

const scorer = createReferenceScorer()
const score = async (output: string, attrs: Record<string, string>, evaluation = {}) => {
  const span = apiSpan({ output_text: output, attributes: attrs })
  return scorer.score(span, context(span, evaluation))
}

describe('reference scorer', () => {
  it('writes nothing when the request carried no expected answer', async () => {
    expect(await score('The answer is 4.', {})).toEqual([])
  })

  it('auto mode: numeric for numbers, normalized answer for text (simulator-shaped outputs)', async () => {
    expect((await score('The answer is 42.', { 'loopgate.expected_answer': '42' }))[0]).toMatchObject({
      name: 'reference',
      value: true,
      status: 'ok',
    })
    expect((await score('The answer is 43.', { 'loopgate.expected_answer': '42' }))[0]).toMatchObject({ value: false })
    expect((await score('The answer is Paris.', { 'loopgate.expected_answer': 'paris' }))[0]).toMatchObject({
      value: true,
    })
    expect((await score('The answer is not paris.', { 'loopgate.expected_answer': 'paris' }))[0]).toMatchObject({
      value: false,
    })
    expect((await score('{"answer":"42"}', { 'loopgate.expected_answer': '42' }))[0]).toMatchObject({ value: true })
  })

  it('fails, with the fix, instead of scoring 0 when the route does not keep answers', async () => {
    for (const capture of ['off', 'redacted']) {
      const [draft] = await score('', { 'loopgate.expected_answer': '42', 'loopgate.capture': capture })
      expect(draft).toMatchObject({ status: 'failed', reason: expect.stringMatching(/set capture: on/) })
    }
    expect(
      (await score('The answer is 42.', { 'loopgate.expected_answer': '42', 'loopgate.capture': 'on' }))[0],
    ).toMatchObject({ value: true, status: 'ok' })
  })

  it('honours the per-request match mode and tolerance', async () => {
    const attrs = (match: string, expected: string, tolerance?: string) => ({
      'loopgate.expected_answer': expected,
      'loopgate.expected_answer.match': match,
      ...(tolerance ? { 'loopgate.expected_answer.tolerance': tolerance } : {}),
    })
    expect((await score('Paris', attrs('exact', 'Paris')))[0]).toMatchObject({ value: true })
    expect((await score('paris', attrs('exact', 'Paris')))[0]).toMatchObject({ value: false })
    expect((await score('It is PARIS, France!', attrs('contains', 'paris')))[0]).toMatchObject({ value: true })
    expect((await score('Comparison', attrs('contains', 'paris')))[0]).toMatchObject({ value: false })
    expect((await score('order #A-1234 shipped', attrs('regex', '#A-\\d{4}')))[0]).toMatchObject({ value: true })
    expect((await score('total: 3.1416', attrs('numeric', '3.14159', '0.001')))[0]).toMatchObject({ value: true })
    expect((await score('total: 101', attrs('numeric', '100', '2%')))[0]).toMatchObject({ value: true })
    expect((await score('total: 103', attrs('numeric', '100', '2%')))[0]).toMatchObject({ value: false })
  })

  it('uses the route default mode', async () => {
    expect(
      (await score('It is Paris', { 'loopgate.expected_answer': 'paris' }, { referenceMatch: 'contains' }))[0],
    ).toMatchObject({ value: true })
  })

  it('turns bad references into failed evaluations with a reason', async () => {
    const badRegex = (
      await score('x', { 'loopgate.expected_answer': '(unclosed', 'loopgate.expected_answer.match': 'regex' })
    )[0]!
    expect(badRegex).toMatchObject({ status: 'failed' })
    expect(badRegex.reason).toContain('regular expression')
    expect(
      (await score('x', { 'loopgate.expected_answer': 'x', 'loopgate.expected_answer.match': 'fuzzy' }))[0],
    ).toMatchObject({ status: 'failed' })
    expect(
      (await score('7', { 'loopgate.expected_answer': 'seven', 'loopgate.expected_answer.match': 'numeric' }))[0],
    ).toMatchObject({ status: 'failed' })
    const span = apiSpan({ is_error: true, output_text: '', attributes: { 'loopgate.expected_answer': '4' } })
    expect((await scorer.score(span, context(span)))[0]).toMatchObject({ status: 'failed' })
  })

  it('handles an answer with no number, huge and non-UTF-8 outputs', async () => {
    expect((await score('I do not know', { 'loopgate.expected_answer': '4' }))[0]).toMatchObject({
      value: false,
      status: 'ok',
    })
    const huge = `${'blah '.repeat(400_000)} the answer is 4`
    expect((await score(huge, { 'loopgate.expected_answer': '4' }))[0]).toMatchObject({ status: 'ok' })
    const r = (
      await score('\uDC00caf\u00e9\uFFFD', {
        'loopgate.expected_answer': 'café',
        'loopgate.expected_answer.match': 'contains',
      })
    )[0]!
    expect(r).toMatchObject({ value: true })
  })

  it('extracts the answer part of an output', () => {
    expect(extractAnswer('Let me think. 2+2... The answer is 4.')).toBe('4')
    expect(extractAnswer('{"final_answer": 12}')).toBe('12')
    expect(extractAnswer('just text')).toBe('just text')
    expect(compare('normalized', 'New York', 'The answer: new   york!', '0').ok).toBe(true)
  })
})

import { describe, expect, it } from 'vitest'
import { normalizeScore, parseVerdict } from '../../evaluator/scorers/verdict.ts'

describe('judge verdict parsing', () => {
  it('reads a JSON verdict, bare or wrapped in prose and fences', () => {
    expect(parseVerdict('{"score": 4, "reason": "accurate"}', 1, 5)).toEqual({ ok: true, score: 4, reason: 'accurate' })
    expect(parseVerdict('Sure!\n```json\n{"rating": "5", "explanation": "complete {and} right"}\n```', 1, 5)).toEqual({
      ok: true,
      score: 5,
      reason: 'complete {and} right',
    })
    expect(parseVerdict('{"note": 1} then {"Score": 2, "Rationale": "thin"}', 1, 5)).toEqual({
      ok: true,
      score: 2,
      reason: 'thin',
    })
  })

  it('reads labelled numbers in prose', () => {
    expect(parseVerdict('Score: 3/5. The answer misses one step.', 1, 5)).toMatchObject({ ok: true, score: 3 })
    expect(parseVerdict('I would rate this 4 out of 5 because it is mostly right.', 1, 5)).toMatchObject({
      ok: true,
      score: 4,
      reason: 'it is mostly right.',
    })
  })

  it('fails — never scores 0 — on prose without a score, empty, non-numeric or out-of-range verdicts', () => {
    expect(parseVerdict('The answer looks fine to me, I have no concerns.', 1, 5)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('no score found'),
    })
    expect(parseVerdict('The capital has 3 airports.', 1, 5)).toMatchObject({ ok: false })
    expect(parseVerdict('', 1, 5)).toMatchObject({ ok: false, reason: 'the judge returned an empty answer' })
    expect(parseVerdict('{"score": "excellent", "reason": "x"}', 1, 5)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not a number'),
    })
    expect(parseVerdict('{"score": 9, "reason": "x"}', 1, 5)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('outside'),
    })
    expect(parseVerdict('Score: 0', 1, 5)).toMatchObject({ ok: false })
    expect(parseVerdict('{'.repeat(50_000), 1, 5)).toMatchObject({ ok: false })
  })

  it('maps rubric scores onto 0–1', () => {
    expect(normalizeScore(1, 1, 5)).toBe(0)
    expect(normalizeScore(4, 1, 5)).toBe(0.75)
    expect(normalizeScore(5, 1, 5)).toBe(1)
  })
})

import { describe, expect, it } from 'vitest'
import { Beliefs } from '../../optimizer/beliefs.ts'
import { guardrailsSchema, learnerSchema, objectiveSchema } from '../../optimizer/config.ts'
import type { WindowEvidence } from '../../optimizer/evidence.ts'
import { expectedPositive, explorationWeights } from '../../optimizer/exploration.ts'
import { TargetHealth } from '../../optimizer/health.ts'
import type { PosteriorSummary } from '../../optimizer/types.ts'
import { seededRng } from '../../optimizer/random.ts'
import { stepRoute } from '../../optimizer/route-step.ts'

const posterior = (target: string, qualityMean: number, own: number, prior: number, costUsd = 0): PosteriorSummary => ({
  target,
  qualityMean,
  qualitySd: Math.sqrt((qualityMean * (1 - qualityMean)) / (own + prior + 3)),
  evidence: own,
  costUsd,
  latencyP95Ms: null,
  pBest: 0,
  prior: { mean: qualityMean, strength: prior },
})
const utility = objectiveSchema.parse({ costWeight: 0 })
const settings = { maxWeight: 0.5, horizonCycles: 600, maxEvidence: 300 }

describe('deliberate exploration', () => {
  it('E[max(0, X)] of a normal', () => {
    expect(expectedPositive(0, 1)).toBeCloseTo(1 / Math.sqrt(2 * Math.PI), 6)
    expect(expectedPositive(-3, 0)).toBe(0)
    expect(expectedPositive(2, 1e-9)).toBeCloseTo(2, 6)
  })

  it('buys observations of a close runner-up with few of its own on a busy route, and stops as they accumulate', () => {
    const leader = posterior('a', 0.8, 100, 40)
    const busy = explorationWeights(
      [leader, posterior('b', 0.76, 5, 40)],
      utility,
      { perCycle: 10, scoredFraction: 1 },
      settings,
    )
    expect(busy.get('b')).toBeGreaterThan(0.1)
    expect(busy.has('a')).toBe(false)
    // The same gap with 300 observations of its own: nothing left worth buying.
    expect(
      explorationWeights(
        [leader, posterior('b', 0.76, 300, 40)],
        utility,
        { perCycle: 10, scoredFraction: 1 },
        settings,
      ).size,
    ).toBe(0)
    // A clearly worse runner-up, or a route too small for the observations to pay: none either.
    expect(
      explorationWeights([leader, posterior('b', 0.5, 5, 40)], utility, { perCycle: 10, scoredFraction: 1 }, settings)
        .size,
    ).toBe(0)
    expect(
      explorationWeights(
        [leader, posterior('b', 0.76, 5, 40)],
        utility,
        { perCycle: 0.05, scoredFraction: 1 },
        settings,
      ).size,
    ).toBe(0)
  })

  it('pays for unscored requests too: with 10% scored it explores less', () => {
    const ps = [posterior('a', 0.8, 100, 40), posterior('b', 0.76, 5, 40)]
    const all = explorationWeights(ps, utility, { perCycle: 2, scoredFraction: 1 }, settings).get('b') ?? 0
    const tenth = explorationWeights(ps, utility, { perCycle: 2, scoredFraction: 0.1 }, settings).get('b') ?? 0
    expect(all).toBeGreaterThan(0)
    expect(tenth).toBeLessThan(all)
  })

  it('in floor mode explores the cheaper target while it may clear the floor', () => {
    const floor = objectiveSchema.parse({ kind: 'floor', qualityFloor: { relative: 0.95 } })
    const w = explorationWeights(
      [posterior('big', 0.8, 100, 40, 0.01), posterior('small', 0.74, 5, 40, 0.001)],
      floor,
      { perCycle: 10, scoredFraction: 1 },
      settings,
    )
    expect(w.get('small')).toBeGreaterThan(0)
  })

  it('route step: the runner-up gets more than the floor only with exploration on', () => {
    const ev = (target: string, n: number, q: number): WindowEvidence => ({
      route: 'r',
      target,
      requests: n,
      errors: 0,
      latencyP95Ms: 500,
      costMeanUsd: 0.001,
      qualityCount: n,
      qualitySum: n * q,
      qualitySumSq: n * q,
      qualityBoolean: true,
    })
    const weightOfB = (exploreMaxWeight: number) => {
      // minShare 0.5 cuts probability matching's share of b, so what b gets beyond the floor is exploration's doing.
      const learner = learnerSchema.parse({ draws: 1000, exploreMaxWeight, minShare: 0.5 })
      const guardrails = guardrailsSchema.parse({ minSamples: 0, maxStep: 1 })
      const beliefs = new Beliefs(learner)
      // b: 8 observations of its own, 0.1 below a; the route serves 50 requests a cycle.
      for (let c = 0; c < 4; c++)
        beliefs.update([ev('a', c === 0 ? 42 : 50, 0.8), ...(c === 0 ? [ev('b', 8, 0.7)] : [])])
      const step = stepRoute({
        route: 'r',
        targets: ['a', 'b'],
        oldWeights: { a: 0.9, b: 0.1 },
        beliefs,
        health: new TargetHealth(guardrails.drain),
        verdict: { kind: 'none' },
        inCooldown: false,
        objective: utility,
        learner,
        guardrails,
        rng: seededRng(3),
      })
      return { w: step.newWeights.b!, constraints: step.constraints.join() }
    }
    const off = weightOfB(0)
    const on = weightOfB(0.5)
    expect(off.w).toBeLessThan(0.05)
    expect(on.w).toBeGreaterThan(0.2)
    expect(on.constraints).toContain('deliberate exploration')
  })
})

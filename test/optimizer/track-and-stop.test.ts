import { describe, expect, it } from 'vitest'
import { objectiveSchema } from '../../optimizer/config.ts'
import { seededRng } from '../../optimizer/random.ts'
import { parseDataset } from '../../optimizer/replay/dataset.ts'
import { oneRouteCsv } from '../helpers/replay-csv.ts'
import { hindsightRegret } from '../../optimizer/replay/metrics.ts'
import { makePolicy } from '../../optimizer/replay/policy-setup.ts'
import { replay } from '../../optimizer/replay/simulate.ts'
import {
  optimalProportions,
  stoppingWinner,
  TRACK_AND_STOP_DEFAULTS,
  TrackAndStopPolicy,
  type ArmFeedback,
} from '../../optimizer/replay/track-and-stop.ts'

const arm = (mean: number, variance: number, count = 100): ArmFeedback => ({ mean, variance, count })

describe('track-and-stop allocation', () => {
  it('splits two arms in proportion to their standard deviations', () => {
    const [a, b] = optimalProportions([arm(0.7, 0.36), arm(0.5, 0.09)], 0, 1e-6)
    expect(a! / b!).toBeCloseTo(2, 4)
    expect(a! + b!).toBeCloseTo(1, 9)
  })

  it('equalizes the rate at which each challenger is told from the leader (the optimum of best-arm identification)', () => {
    const means = [0.8, 0.7, 0.6, 0.3]
    const variances = [0.16, 0.21, 0.24, 0.21]
    const w = optimalProportions(
      means.map((m, i) => arm(m, variances[i]!)),
      0,
      1e-6,
    )
    const rate = (i: number) => (means[0]! - means[i]!) ** 2 / (variances[i]! / w[i]! + variances[0]! / w[0]!)
    expect(rate(2) / rate(1)).toBeCloseTo(1, 4)
    expect(rate(3) / rate(1)).toBeCloseTo(1, 4)
    // At the optimum the leader's share balances the challengers': w_L²/σ_L² = Σ w_i²/σ_i².
    const challengers = w.slice(1).reduce((s, x, i) => s + x ** 2 / variances[i + 1]!, 0)
    expect(w[0]! ** 2 / variances[0]! / challengers).toBeCloseTo(1, 3)
    // The closest challenger gets the most, the far one little.
    expect(w[1]).toBeGreaterThan(w[2]!)
    expect(w[3]).toBeLessThan(0.05)
  })

  it('keeps every arm at the minimum probability and returns a distribution on ties', () => {
    const w = optimalProportions([arm(0.9, 0.09), arm(0.1, 0.09), arm(0.1, 0.09)], 0, 0.2)
    for (const x of w) expect(x).toBeGreaterThanOrEqual(0.2 - 1e-9)
    const tie = optimalProportions([arm(0.5, 0.25), arm(0.5, 0.25)], 0, 1e-6)
    expect(tie[0]! + tie[1]!).toBeCloseTo(1, 9)
    expect(tie.every((x) => Number.isFinite(x) && x > 0)).toBe(true)
  })
})

describe('track-and-stop stopping rule', () => {
  it('stops on a leader told from every arm at 1 − δ, and not before each arm has its minimum samples', () => {
    const s = TRACK_AND_STOP_DEFAULTS
    expect(stoppingWinner([arm(0.6, 0.24, 300), arm(0.8, 0.16, 300)], s)).toBe(1)
    // A gap of 0.1 with 20 samples each: GLR 0.43 against a threshold of ln((1 + ln 40) / 0.05) = 4.5.
    expect(stoppingWinner([arm(0.8, 0.16, 20), arm(0.7, 0.21, 20)], s)).toBeNull()
    expect(stoppingWinner([arm(0.9, 0.09, 300), arm(0.1, 0.09, 9)], s)).toBeNull()
    // One close challenger is enough to keep it running.
    expect(stoppingWinner([arm(0.8, 0.16, 300), arm(0.2, 0.16, 300), arm(0.79, 0.16, 300)], s)).toBeNull()
  })
})

describe('track-and-stop under replay', () => {
  // `good` is right 90% of the time, `poor` 50%, `fair` 70%; all cost the same.
  const data = parseDataset(
    oneRouteCsv(
      { good: { p: 0.9, cost: 0.001 }, poor: { p: 0.5, cost: 0.001 }, fair: { p: 0.7, cost: 0.001 } },
      6_000,
      3,
    ),
  )
  const setup = {
    data,
    seeds: [1],
    overrides: {},
    base: { requestsPerSecond: 10, cycleSeconds: 10, regretCostWeight: 50 },
  }
  const options = { seed: 1, requestsPerSecond: 10, cycleSeconds: 10, scoredFraction: 1, regretCostWeight: 50 }

  it('starts uniform, then stops and serves only the best target', async () => {
    const t = await replay(data, makePolicy('track-and-stop', setup, 50, 1), options)
    const good = data.targets.indexOf('good')
    // With 10% scored, the first cycle leaves every target under 10 scores: all in the nursery, uniform.
    const sparse = await replay(data, makePolicy('track-and-stop', setup, 50, 1), { ...options, scoredFraction: 0.1 })
    expect([...sparse.cycles[0]!.weights]).toEqual([1 / 3, 1 / 3, 1 / 3])
    const stopped = t.cycles.findIndex((c) => c.weights[good] === 1)
    expect(stopped).toBeGreaterThan(0)
    expect(stopped).toBeLessThan(20)
    expect(t.cycles.slice(stopped).every((c) => c.weights[good] === 1)).toBe(true)
    expect(hindsightRegret(t).secondHalf).toBeLessThan(0.005)
  })

  it('refuses an objective that is not one metric', () => {
    const ctx = {
      targets: data.targets,
      routes: data.routes,
      objective: objectiveSchema.parse({ kind: 'floor', qualityFloor: { relative: 0.9 } }),
      scoreKind: 'boolean' as const,
      rng: seededRng(1),
    }
    expect(() => new TrackAndStopPolicy(ctx)).toThrow(/one metric/)
  })
})

import { describe, expect, it } from 'vitest'
import { Beliefs } from '../../optimizer/beliefs.ts'
import { learnerSchema } from '../../optimizer/config.ts'
import type { WindowEvidence } from '../../optimizer/evidence.ts'
import { sigmoid } from '../../optimizer/logit.ts'
import { seededRng } from '../../optimizer/random.ts'
import { scoredWindow } from '../helpers/evidence.ts'

const ev = scoredWindow

/** Routes of different difficulty; `gap(r)` is how much a beats b on route r. */
function beliefsFor(
  routes: number,
  gap: (r: number) => number,
  nA: (r: number) => number,
  nB: (r: number) => number,
): Beliefs {
  const rng = seededRng(4)
  const b = new Beliefs(learnerSchema.parse({ discount: 1, maxEvidence: 10_000 }))
  const draw = (p: number, n: number) =>
    Array.from({ length: n }).reduce<number>((s) => s + (rng.next() < p ? 1 : 0), 0)
  const window: WindowEvidence[] = []
  for (let r = 0; r < routes; r++) {
    const difficulty = -0.3 + (0.6 * r) / (routes - 1)
    const pa = 0.6 + difficulty + gap(r) / 2
    const pb = 0.6 + difficulty - gap(r) / 2
    window.push(ev(`r${r}`, 'a', nA(r), draw(pa, nA(r))), ev(`r${r}`, 'b', nB(r), draw(pb, nB(r))))
  }
  b.update(window)
  return b
}

describe('hierarchical prior', () => {
  it("centres a target's prior on the route's difficulty, not on where its traffic happened to go", () => {
    // b is sent almost only to hard routes: its traffic-weighted mean is far below its quality on an average route.
    const b = beliefsFor(
      12,
      () => 0.1,
      () => 200,
      (r) => (r < 4 ? 200 : 3),
    )
    const pooledB = b.pooledFor('b').qSum / b.pooledFor('b').qCount
    const easy = b.prior('r11', 'b').mean!
    expect(pooledB).toBeLessThan(0.45)
    expect(easy).toBeGreaterThan(0.7) // truth on r11: 0.6 + 0.3 − 0.05 = 0.85
    expect(b.prior('r11', 'a').mean! - easy).toBeGreaterThan(0.05)
  })

  it('shares a strong prior between routes that agree and a weak one between routes that differ', () => {
    const same = beliefsFor(
      20,
      () => 0.1,
      () => 100,
      () => 100,
    )
    const different = beliefsFor(
      20,
      (r) => (r % 2 ? 0.5 : -0.3),
      () => 100,
      () => 100,
    )
    expect(same.prior('r3', 'b').strength).toBeGreaterThan(100)
    expect(different.prior('r3', 'b').strength).toBeLessThan(10)
  })

  it("counts the uncertainty of a target's own level: a target seen a few times everywhere gets a weak prior", () => {
    // 20 alike routes; a and c have 100 scores on each, b only 2 (40 in all): b's level is vague, a's is not.
    const b = new Beliefs(learnerSchema.parse({ discount: 1, maxEvidence: 10_000 }))
    const window: WindowEvidence[] = []
    for (let r = 0; r < 20; r++)
      window.push(ev(`r${r}`, 'a', 100, 70), ev(`r${r}`, 'c', 100, 60), ev(`r${r}`, 'b', 2, r % 2 ? 2 : 1))
    b.update(window)
    const [a, vague] = [b.prior('r3', 'a').strength, b.prior('r3', 'b').strength]
    expect(a).toBeGreaterThan(60)
    // 40 scores of b over all routes: its prior on one route is worth less than that.
    expect(vague).toBeLessThan(40)
    expect(a).toBeGreaterThan(2 * vague)
  })

  it('models difficulty in logits: a hard route costs a weak target more points than a strong one', () => {
    // logit(a) = 2.5, logit(b) = 0.5 on average; route "hard" is 1 logit harder.
    const b = new Beliefs(learnerSchema.parse({ discount: 1, maxEvidence: 1e6 }))
    const window: WindowEvidence[] = []
    for (let r = 0; r < 12; r++) {
      const d = r === 0 ? -1 : 1 / 11
      window.push(
        ev(`r${r}`, 'a', 20_000, Math.round(20_000 * sigmoid(2.5 + d))),
        ev(`r${r}`, 'b', r === 0 ? 0 : 20_000, Math.round(20_000 * sigmoid(0.5 + d))),
      )
    }
    b.update(window.filter((e) => e.qualityCount > 0))
    // b never ran on the hard route: its prior there follows the logit model (0.38), not a shift in points (0.55).
    expect(b.prior('r0', 'b').mean!).toBeCloseTo(sigmoid(-0.5), 1)
    expect(b.prior('r0', 'a').mean!).toBeCloseTo(sigmoid(1.5), 1)
  })

  it('does not let a target seen on a few routes claim that routes are alike when the other targets show they differ', () => {
    // Six targets whose quality moves ±0.5 logits from route to route (half up, half down on each,
    // so difficulty is still measured exactly), and x, seen on three routes where it happens to sit
    // exactly at its level: its own likelihood puts its interaction variance at the floor.
    const b = new Beliefs(learnerSchema.parse({ discount: 1, maxEvidence: 1e6 }))
    const window: WindowEvidence[] = []
    const n = 400
    for (let r = 0; r < 10; r++) {
      const d = -0.5 + r / 9
      for (let t = 0; t < 6; t++) {
        const interaction = (t + r) % 2 ? 0.5 : -0.5
        window.push(ev(`r${r}`, `t${t}`, n, Math.round(n * sigmoid(0.5 + d + interaction))))
      }
      if (r < 3) window.push(ev(`r${r}`, 'x', n, Math.round(n * sigmoid(1 + d))))
    }
    b.update(window)
    // The prior of x on a route it never ran on is worth what the routes' spread allows (τ² ≈ 0.25
    // at quality ≈ 0.8: under 1 / (0.16 · 0.25) ≈ 25 scores), not hundreds.
    expect(b.prior('r9', 'x').strength).toBeLessThan(40)
    expect(b.prior('r9', 't0').strength).toBeLessThan(40)
  })

  it("does not let one busy route where a target does badly set the target's level alone", () => {
    // Six targets whose quality moves ±0.5 logits from route to route (τ² ≈ 0.25), and x: 2,000
    // scores on r0, where it sits 1 logit under its level, and 30 at its level on each of r1–r5.
    // Weighted by evidence alone, r0 sets x's level and its prior on r9 is 0.60; an interaction
    // does not shrink with traffic, so r0 counts as one route among six (0.74).
    const b = new Beliefs(learnerSchema.parse({ discount: 1, maxEvidence: 1e6 }))
    const window: WindowEvidence[] = []
    for (let r = 0; r < 10; r++) {
      const d = -0.5 + r / 9
      for (let t = 0; t < 6; t++) {
        const interaction = (t + r) % 2 ? 0.5 : -0.5
        window.push(ev(`r${r}`, `t${t}`, 400, Math.round(400 * sigmoid(0.5 + d + interaction))))
      }
      const n = r === 0 ? 2000 : 30
      if (r < 6) window.push(ev(`r${r}`, 'x', n, Math.round(n * sigmoid(1 + d - (r === 0 ? 1 : 0)))))
    }
    b.update(window)
    expect(b.prior('r9', 'x').mean!).toBeGreaterThan(0.7) // truth sigmoid(1.5) = 0.82
  })

  it('keeps the prior vague when only three routes say how alike they are', () => {
    // Three routes (60% / 30% / 10% of the traffic) on which five targets happen to sit exactly at
    // their levels: the likelihood of τ² is flat from the floor up to the residuals' noise. Its
    // maximum, the floor, claims routes are alike: a prior worth 172 scores on the busy route, more
    // than the target's own 180 there. Three routes cannot say that; τ²'s posterior mean gives 65.
    const b = new Beliefs(learnerSchema.parse({ discount: 1, maxEvidence: 1e6 }))
    const window: WindowEvidence[] = []
    const shares = [0.6, 0.3, 0.1]
    shares.forEach((share, r) => {
      for (let t = 0; t < 5; t++) {
        const n = Math.round(300 * share)
        window.push(ev(`r${r}`, `t${t}`, n, Math.round(n * sigmoid(1 + 0.2 * t - 0.3 * r))))
      }
    })
    b.update(window)
    expect(b.prior('r0', 't2').strength).toBeLessThan(100)
  })

  it('uses learner.priorStrength when it is a number', () => {
    const b = new Beliefs(learnerSchema.parse({ priorStrength: 7 }))
    b.update([ev('r', 'a', 10, 5)])
    expect(b.prior('r', 'a').strength).toBe(7)
  })
})

describe('price index', () => {
  const learner = learnerSchema.parse({})
  it('does not mistake a shift of traffic between cheap and expensive routes for a price change', () => {
    const b = new Beliefs(learner)
    for (let i = 0; i < 20; i++) b.update([ev('short', 'a', 50, 25, 0.001), ev('long', 'a', 5, 2, 0.01)])
    for (let i = 0; i < 3; i++) b.update([ev('short', 'a', 5, 2, 0.001), ev('long', 'a', 50, 25, 0.01)])
    const p = b.pooledFor('a')
    expect(p.costActual / p.costPredicted).toBeCloseTo(1, 6)
  })

  it('shows a price change in the next cycle', () => {
    const b = new Beliefs(learner)
    for (let i = 0; i < 20; i++) b.update([ev('short', 'a', 50, 25, 0.001), ev('long', 'a', 5, 2, 0.01)])
    b.update([ev('short', 'a', 50, 25, 0.0003), ev('long', 'a', 5, 2, 0.003)])
    const p = b.pooledFor('a')
    expect(p.costActual / p.costPredicted).toBeLessThan(0.65) // at least halfway from 1 to 0.3
  })
})

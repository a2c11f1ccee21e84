import { describe, expect, it } from 'vitest'
import { Beliefs } from '../../optimizer/beliefs.ts'
import { learnerSchema, objectiveSchema } from '../../optimizer/config.ts'
import { allocate } from '../../optimizer/learner.ts'
import { bestIndex } from '../../optimizer/objective.ts'
import { sampleBeta, sampleGamma, seededRng } from '../../optimizer/random.ts'
import { scoredWindow } from '../helpers/evidence.ts'

const ev = (target: string, n: number, successes: number, cost: number, route = 'r') =>
  scoredWindow(route, target, n, successes, cost)

describe('samplers', () => {
  it('Gamma and Beta have the right means (Marsaglia–Tsang, shape < 1 boost)', () => {
    const rng = seededRng(42)
    for (const shape of [0.3, 1, 4.5]) {
      let s = 0
      for (let i = 0; i < 20_000; i++) s += sampleGamma(rng, shape)
      expect(s / 20_000).toBeCloseTo(shape, 1)
    }
    let b = 0
    for (let i = 0; i < 20_000; i++) b += sampleBeta(rng, 2, 6)
    expect(b / 20_000).toBeCloseTo(0.25, 2)
  })
})

describe('learner', () => {
  const learner = learnerSchema.parse({ draws: 2000, priorStrength: 0 })
  const rank = (beliefs: Beliefs, targets: string[], costWeight = 0) =>
    allocate(
      { targets, own: targets.map((t) => beliefs.get('r', t)), pooled: targets.map((t) => beliefs.pooledFor(t)) },
      objectiveSchema.parse({ costWeight }),
      learner,
      seededRng(1),
    )

  it('puts most probability on the clearly better target', () => {
    const b = new Beliefs(learner)
    b.update([ev('good', 200, 180, 0.001), ev('bad', 200, 100, 0.001)])
    const [good, bad] = rank(b, ['good', 'bad'])
    expect(good!.pBest).toBeGreaterThan(0.99)
    expect(bad!.pBest).toBeLessThan(0.01)
    expect(good!.qualityMean).toBeCloseTo(181 / 202, 3)
  })

  it('trades quality for cost with the cost weight', () => {
    const b = new Beliefs(learner)
    b.update([ev('strong', 300, 270, 0.01), ev('cheap', 300, 240, 0.0001)])
    expect(rank(b, ['strong', 'cheap'], 0)[0]!.pBest).toBeGreaterThan(0.95)
    expect(rank(b, ['strong', 'cheap'], 50)[1]!.pBest).toBeGreaterThan(0.95) // 0.1 quality < 50·0.0099 = 0.495
  })

  it('stays uncertain with little evidence', () => {
    const b = new Beliefs(learner)
    b.update([ev('a', 3, 2, 0), ev('b', 3, 1, 0)])
    const [a] = rank(b, ['a', 'b'])
    expect(a!.pBest).toBeGreaterThan(0.5)
    expect(a!.pBest).toBeLessThan(0.9)
  })

  it('forgets: discounted and capped evidence follows a change', () => {
    const b = new Beliefs(learnerSchema.parse({ discount: 0.9, maxEvidence: 50, priorStrength: 0 }))
    for (let i = 0; i < 20; i++) b.update([ev('a', 20, 18, 0)])
    expect(b.get('r', 'a').qCount).toBeLessThanOrEqual(50)
    for (let i = 0; i < 10; i++) b.update([ev('a', 20, 4, 0)])
    const a = b.get('r', 'a')
    expect(a.qSum / a.qCount).toBeLessThan(0.3)
    expect(a.scoredTotal).toBe(600)
  })

  it('the cost estimate follows a price change through the pooled price index at once', () => {
    const b = new Beliefs(learnerSchema.parse({ costDiscount: 0.01 }))
    for (let i = 0; i < 30; i++) b.update([ev('a', 10, 5, 0.01, 'r'), ev('a', 50, 25, 0.02, 'busy')])
    b.update([ev('a', 50, 25, 0.006, 'busy')]) // price × 0.3 seen on the busy route only
    const s = allocate(
      { targets: ['a'], own: [b.get('r', 'a')], pooled: [b.pooledFor('a')] },
      objectiveSchema.parse({}),
      learner,
      seededRng(1),
    )
    expect(s[0]!.costUsd!).toBeLessThan(0.005)
  })
})

describe('objective', () => {
  const c = (quality: number, costUsd: number, latencyP95Ms: number | null = null) => ({
    quality,
    costUsd,
    latencyP95Ms,
  })
  it('floor mode picks the cheapest target over the floor, respecting the latency SLO', () => {
    const o = objectiveSchema.parse({ kind: 'floor', qualityFloor: { relative: 0.9 }, latencySloMs: 1000 })
    expect(bestIndex([c(0.9, 1), c(0.85, 0.1), c(0.5, 0.01)], o)).toBe(1)
    expect(bestIndex([c(0.9, 1), c(0.85, 0.1, 5000)], o)).toBe(0)
    expect(bestIndex([c(0.9, 1), c(0.2, 0.1)], o)).toBe(0)
  })
  it('utility mode penalizes latency over the SLO', () => {
    const o = objectiveSchema.parse({ costWeight: 0, latencyWeight: 1, latencySloMs: 1000 })
    expect(bestIndex([c(0.9, 0, 3000), c(0.8, 0, 900)], o)).toBe(1)
  })
  it('floor mode without a floor is refused with a clear message', () => {
    const r = objectiveSchema.safeParse({ kind: 'floor' })
    expect(r.success).toBe(false)
    expect(JSON.stringify(r.error?.issues)).toContain('qualityFloor')
  })
})

describe('change detection', () => {
  it('drops old evidence when recent quality departs from it, and not on noise', async () => {
    const settings = learnerSchema.parse({ discount: 1, maxEvidence: 1000, changeWindow: 40, changeThreshold: 4 })
    const b = new Beliefs(settings)
    const rng = seededRng(7)
    const draw = (p: number, n: number) => {
      let s = 0
      for (let i = 0; i < n; i++) s += rng.next() < p ? 1 : 0
      return s
    }
    for (let i = 0; i < 100; i++) expect(b.update([ev('a', 5, draw(0.8, 5), 0)])).toEqual([]) // 500 stable observations: no alarm
    const changes = []
    for (let i = 0; i < 20 && !changes.length; i++) changes.push(...b.update([ev('a', 5, draw(0.2, 5), 0)]))
    expect(changes[0]).toMatchObject({ target: 'a' })
    // The 500 old observations are gone: a few more new ones put the estimate near the new quality.
    for (let i = 0; i < 5; i++) b.update([ev('a', 5, draw(0.2, 5), 0)])
    const { qualityPosterior } = await import('../../optimizer/learner.ts')
    expect(qualityPosterior(b.get('r', 'a'), b.pooledFor('a'), b.prior('r', 'a')).mean).toBeLessThan(0.5)
  })
})

describe('route difficulty offset', () => {
  it("moves a rarely used target's prior with the route's measured difficulty", async () => {
    const { qualityPosterior } = await import('../../optimizer/learner.ts')
    const { routeOffset } = await import('../../optimizer/hierarchy.ts')
    const b = new Beliefs(learnerSchema.parse({ priorStrength: 10 }))
    b.update([
      ev('a', 400, 280, 0, 'hard'),
      ev('b', 400, 200, 0, 'hard'),
      ev('a', 400, 380, 0, 'easy'),
      ev('b', 4, 3, 0, 'easy'),
    ])
    const own = [b.get('easy', 'a'), b.get('easy', 'b')]
    const pooled = [b.pooledFor('a'), b.pooledFor('b')]
    const offset = routeOffset(own, pooled)
    expect(offset).toBeGreaterThan(0.1) // a scores 0.95 on easy vs 0.825 pooled
    const mean = pooled[1]!.qSum / pooled[1]!.qCount
    expect(qualityPosterior(own[1]!, pooled[1]!, { mean: mean + offset, strength: 10 }).mean).toBeGreaterThan(
      qualityPosterior(own[1]!, pooled[1]!, { mean, strength: 10 }).mean + 0.05,
    )
    // The fitted hierarchy (what the optimizer uses) agrees: b's prior on the easy route is above its pooled mean.
    expect(b.prior('easy', 'b').mean!).toBeGreaterThan(mean + 0.05)
  })
})

describe('pooled change detection', () => {
  it('a target that changes on every route is relearned on every route, even sparse ones', () => {
    const b = new Beliefs(learnerSchema.parse({ discount: 1, maxEvidence: 1000, changeWindow: 40, changeThreshold: 4 }))
    const routes = Array.from({ length: 20 }, (_, i) => `r${i}`)
    for (let c = 0; c < 30; c++) b.update(routes.map((r) => ev('a', 2, 2, 0, r))) // quality 1.0 everywhere
    let changes: ReturnType<Beliefs['update']> = []
    for (let c = 0; c < 10 && !changes.some((x) => x.route === null); c++)
      changes = b.update(routes.map((r) => ev('a', 2, 0, 0, r)))
    expect(changes).toContainEqual(expect.objectContaining({ route: null, target: 'a' }))
    for (const r of routes) expect(b.get(r, 'a').qSum).toBe(0) // each route's 60 old successes are gone (restarted by the route's own drop detector or by the pooled one)
    expect(b.pooledFor('a').qSum / b.pooledFor('a').qCount).toBeLessThan(0.9) // restarted from the recent window, not 1.0
  })
})

describe('pooled change detection under traffic shifts', () => {
  // One target on an easy route (0.95) and a hard one (0.55); its traffic moves from easy to hard,
  // which moves its raw pooled mean from 0.91 to 0.59 although nothing about it changed.
  const run = (dropAfterShift: number) => {
    const b = new Beliefs(learnerSchema.parse({}))
    const rng = seededRng(5)
    const draw = (p: number, n: number) => {
      let s = 0
      for (let i = 0; i < n; i++) s += rng.next() < p ? 1 : 0
      return s
    }
    const pooled: ReturnType<Beliefs['update']> = []
    for (let c = 0; c < 120; c++) {
      const shifted = c >= 60
      const [easy, hard] = shifted ? [2, 18] : [18, 2]
      const q = (base: number) => base - (shifted ? dropAfterShift : 0)
      const changes = b.update([
        ev('a', easy, draw(q(0.95), easy), 0, 'easy'),
        ev('a', hard, draw(q(0.55), hard), 0, 'hard'),
      ])
      pooled.push(...changes.filter((x) => x.route === null).map((x) => ({ ...x, from: c, to: c })))
    }
    return pooled
  }

  it('raises no alarm when only the traffic moves between easy and hard routes', () => {
    expect(run(0)).toEqual([])
  })

  it('still raises one, within a few cycles, when the target also drops on every route', () => {
    const alarms = run(0.3)
    expect(alarms.length).toBeGreaterThan(0)
    expect(alarms[0]!.from).toBeLessThan(60 + 10)
  })
})

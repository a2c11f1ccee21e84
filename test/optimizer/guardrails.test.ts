import { describe, expect, it } from 'vitest'
import { Beliefs } from '../../optimizer/beliefs.ts'
import { guardrailsSchema, learnerSchema, objectiveSchema } from '../../optimizer/config.ts'
import type { WindowEvidence } from '../../optimizer/evidence.ts'
import { TargetHealth } from '../../optimizer/health.ts'
import { seededRng } from '../../optimizer/random.ts'
import { RollbackGuard } from '../../optimizer/rollback.ts'
import {
  commitment,
  explorationFloor,
  FLOOR_FULL_EVIDENCE,
  stepRoute,
  trimTail,
  type RouteStepInput,
} from '../../optimizer/route-step.ts'
import { applyFloor, limitStep } from '../../optimizer/weights.ts'

const ev = (target: string, n: number, q: number, extra: Partial<WindowEvidence> = {}): WindowEvidence => ({
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
  ...extra,
})

function setup(overrides: Record<string, unknown> = {}, learnerOverrides: Record<string, unknown> = {}) {
  const learner = learnerSchema.parse({ draws: 1000, ...learnerOverrides })
  const guardrails = guardrailsSchema.parse(overrides)
  const beliefs = new Beliefs(learner)
  const health = new TargetHealth(guardrails.drain)
  const step = (oldWeights: Record<string, number>, extra: Partial<RouteStepInput> = {}) =>
    stepRoute({
      route: 'r',
      targets: Object.keys(oldWeights),
      oldWeights,
      beliefs,
      health,
      verdict: { kind: 'none' },
      inCooldown: false,
      objective: objectiveSchema.parse({ costWeight: 0 }),
      learner,
      guardrails,
      rng: seededRng(3),
      ...extra,
    })
  return { beliefs, health, step, guardrails }
}

describe('guardrails', () => {
  it('holds a target whose quality dropped to the floor until it leads again with confidence', () => {
    const { beliefs, step } = setup({ minSamples: 0, maxStep: 1 })
    // a leads b (0.85 vs 0.75) for 20 cycles, then a drops to 0.6; b stays.
    for (let c = 0; c < 20; c++) beliefs.update([ev('a', 80, 0.85), ev('b', 20, 0.75)])
    let held = false
    for (let c = 0; c < 6 && !held; c++) {
      beliefs.holdDrops(beliefs.update([ev('a', 80, 0.6), ev('b', 20, 0.75)]), () => 'a')
      held = beliefs.isSuspect('r', 'a')
    }
    expect(held).toBe(true)
    const s = step({ a: 0.8, b: 0.2 })
    expect(s.constraints.join()).toContain('held after a quality drop: a')
    expect(s.newWeights.a!).toBeLessThan(0.01) // the floor, not probability matching's share
    // a recovers above b: once it leads at the posterior means it competes again.
    for (let c = 0; c < 30; c++) beliefs.update([ev('a', 20, 0.95), ev('b', 80, 0.75)])
    const back = step({ a: 0.01, b: 0.99 })
    expect(back.released).toBe('a')
    expect(back.constraints.join()).not.toContain('held after a quality drop')
    expect(back.newWeights.a!).toBeGreaterThan(0.5)
  })

  it('does not hold a target whose quality dropped on a route it did not lead', () => {
    const { beliefs } = setup()
    beliefs.update([ev('a', 80, 0.85), ev('b', 20, 0.75)])
    // A drop of b (the runner-up): holding it would keep a false alarm from ever being re-tested.
    beliefs.holdDrops([{ route: null, target: 'b', from: 0.75, to: 0.7 }], () => 'a')
    expect(beliefs.isSuspect('r', 'b')).toBe(false)
    beliefs.holdDrops([{ route: null, target: 'a', from: 0.85, to: 0.7 }], () => 'a')
    expect(beliefs.isSuspect('r', 'a')).toBe(true)
  })

  it('keeps a held target at the floor while it leads only narrowly, and gives its P(best) to the free targets', () => {
    const { beliefs, step } = setup({ minSamples: 0, maxStep: 1 })
    // a and b are level and both held; c, clearly worse, is the only free target.
    for (let c = 0; c < 10; c++) beliefs.update([ev('a', 10, 0.8), ev('b', 10, 0.8), ev('c', 50, 0.5)])
    beliefs.holdDrops([{ route: 'r', target: 'a', from: 0.9, to: 0.8 }], () => 'a')
    beliefs.holdDrops([{ route: 'r', target: 'b', from: 0.9, to: 0.8 }], () => 'b')
    const s = step({ a: 0.45, b: 0.45, c: 0.1 })
    expect(s.released).toBeNull() // a or b leads at the means, but with P(best) near 0.5
    expect(s.constraints.join()).toContain('held after a quality drop: a, b')
    expect(s.newWeights.c!).toBeGreaterThan(0.95) // not the even split an all-zero proposal normalizes to
    expect(s.reason).toMatch(/^c is the best target not held/) // the reason names the target the weights follow
  })

  it('holds no target when every target of the route dropped: the learner chooses among them', () => {
    const { beliefs, step } = setup({ minSamples: 0, maxStep: 1 })
    // a leads b narrowly (P(best) under the release confidence), and both dropped.
    for (let c = 0; c < 5; c++) beliefs.update([ev('a', 20, 0.78), ev('b', 20, 0.76)])
    beliefs.holdDrops([{ route: 'r', target: 'a', from: 0.9, to: 0.78 }], () => 'a')
    beliefs.holdDrops([{ route: 'r', target: 'b', from: 0.9, to: 0.76 }], () => 'b')
    const s = step({ a: 0.5, b: 0.5 })
    expect(s.released).toBeNull()
    expect(s.constraints.join()).not.toContain('held after a quality drop')
    expect(s.newWeights.a!).toBeGreaterThan(0.6) // P(best) sharpened, not the even split of an all-zero proposal
  })

  it('min samples: spreads traffic evenly until every target has enough scored requests', () => {
    const { beliefs, step } = setup({ minSamples: 20, maxStep: 1 })
    // b is cheaper, so no objective rules it out before it has its samples.
    const cheap = { costMeanUsd: 0.0001 }
    beliefs.update([ev('a', 100, 0.9), ev('b', 5, 0.1, cheap)])
    const s = step({ a: 0.9, b: 0.1 })
    expect(s.newWeights.a).toBeCloseTo(0.5, 6)
    expect(s.constraints.join()).toContain('min samples')
    beliefs.update([ev('b', 30, 0.1, cheap)])
    expect(step({ a: 0.5, b: 0.5 }).newWeights.a).toBeGreaterThan(0.9)
  })

  it("exploration floor: the route's minWeight is shared by the targets that do not lead and are not dominated", () => {
    const { beliefs, step } = setup({ minWeight: 0.05, maxStep: 1, minSamples: 0 })
    const cheap = { costMeanUsd: 0.0001 }
    beliefs.update([ev('a', 300, 0.95), ev('b', 300, 0.2, cheap), ev('c', 300, 0.2, cheap)])
    const s = step({ a: 0.34, b: 0.33, c: 0.33 })
    // 900 scored observations on the route: the floor has shrunk from 0.05 by √(200 / 900).
    const floor = explorationFloor(0.05, 900)
    expect(floor).toBeCloseTo(0.05 * Math.sqrt(200 / 900), 9)
    expect(s.newWeights.b).toBeCloseTo(floor / 2, 6)
    expect(s.newWeights.c).toBeCloseTo(floor / 2, 6)
    expect(s.newWeights.a).toBeCloseTo(1 - floor, 6)
  })

  it("cuts probability matching's tail below minShare, keeping the leader and the sum", () => {
    const w = trimTail({ a: 0.6, b: 0.3, c: 0.04, d: 0.03, e: 0.03 }, ['a', 'b', 'c', 'd', 'e'], 0.05)
    expect(w.a).toBeCloseTo(0.6 / 0.9, 12)
    expect(w.b).toBeCloseTo(0.3 / 0.9, 12)
    expect([w.c, w.d, w.e]).toEqual([0, 0, 0])
    // Eleven targets each at 1/11 < minShare 0.1: all cut would leave nothing, so the leader is kept.
    const flat = Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`t${i}`, i === 3 ? 0.095 : 0.0905]))
    expect(trimTail(flat, Object.keys(flat), 0.1).t3).toBe(1)
  })

  it('the exploration floor shrinks as the route accumulates evidence, and is minWeight while it has little', () => {
    expect(explorationFloor(0.05, 0)).toBe(0.05)
    expect(explorationFloor(0.05, FLOOR_FULL_EVIDENCE)).toBe(0.05)
    expect(explorationFloor(0.05, 100 * FLOOR_FULL_EVIDENCE)).toBeCloseTo(0.005, 12)
  })

  it('commits (sharpens P(best)) between two contenders where other routes inform the route', () => {
    expect(commitment(3, 2)).toBe(3)
    expect(commitment(3, 3)).toBe(2)
    expect(commitment(3, 11)).toBeCloseTo(1.2, 12)
    expect(commitment(3, 1)).toBe(3)
    expect(commitment(1, 2)).toBe(1)
    // a leads b narrowly on r: its weight at the default sharpness against probability matching's
    // (sharpness 1, same draws). With three other routes informing r it commits; alone, r matches
    // probabilities (a route that commits alone freezes its belief in the runner-up).
    const leaderWeight = (otherRoutes: number, sharpness?: number) => {
      const { beliefs, step } = setup({ minSamples: 0, maxStep: 1, minWeight: 0.001 }, sharpness ? { sharpness } : {})
      const routes = ['r', ...Array.from({ length: otherRoutes }, (_, i) => `o${i}`)]
      beliefs.update(routes.flatMap((route) => [ev('a', 60, 0.65, { route }), ev('b', 60, 0.6, { route })]))
      return step({ a: 0.5, b: 0.5 }).newWeights.a!
    }
    const lift = (otherRoutes: number) => leaderWeight(otherRoutes) - leaderWeight(otherRoutes, 1)
    expect(lift(3)).toBeGreaterThan(0.1) // 0.79 → 0.999
    expect(lift(0)).toBeCloseTo(0, 9)
  })

  it('max step limits the change of any weight per cycle and keeps the sum', () => {
    const { beliefs, step } = setup({ maxStep: 0.1, minSamples: 0 })
    beliefs.update([ev('a', 300, 0.95), ev('b', 300, 0.2)])
    const s = step({ a: 0.5, b: 0.5 })
    expect(s.newWeights.a).toBeCloseTo(0.6, 6)
    expect(s.newWeights.a! + s.newWeights.b!).toBeCloseTo(1, 9)
    expect(s.constraints.join()).toContain('max step')
    expect(limitStep({ a: 0.2, b: 0.8 }, { a: 0.9, b: 0.1 }, ['a', 'b'], 0.35).weights.a).toBeCloseTo(0.55, 9)
    expect(Object.values(applyFloor({ a: 1, b: 0, c: 0 }, ['a', 'b', 'c'], 0.1)).reduce((x, y) => x + y)).toBeCloseTo(
      1,
      9,
    )
  })

  it('drains a failing target at once (beyond max step) to a probe weight, and re-admits it after healthy probes', () => {
    const { beliefs, health, step } = setup({
      maxStep: 0.05,
      minSamples: 0,
      drain: { maxErrorRate: 0.2, minRequests: 5, probeWeight: 0.01, recoveryRequests: 4 },
    })
    beliefs.update([ev('a', 300, 0.9), ev('b', 300, 0.7)])
    const changes = health.update([ev('a', 50, 0.9, { errors: 40 })], 1)
    expect(changes).toEqual([expect.objectContaining({ target: 'a', event: 'drained' })])
    const s = step({ a: 0.9, b: 0.1 })
    expect(s.newWeights.a).toBe(0.01)
    expect(s.newWeights.b).toBeCloseTo(0.99, 6)
    expect(s.reason).toContain('drained a')
    // probes keep failing → still drained; healthy probes → re-admitted
    expect(health.update([ev('a', 2, 0.9, { errors: 2 })], 2)).toEqual([])
    expect(health.update([ev('a', 3, 0.9, { errors: 2 })], 3)).toEqual([])
    expect(health.isDrained('a')).toBe(true)
    expect(health.update([ev('a', 4, 0.9)], 4)).toEqual([expect.objectContaining({ target: 'a', event: 'readmitted' })])
    expect(step({ a: 0.01, b: 0.99 }).newWeights.a).toBeCloseTo(0.06, 6) // back, climbing by max step
  })

  it('drains on latency over the limit', () => {
    const { health } = setup({ drain: { maxLatencyP95Ms: 2000 } })
    expect(health.update([ev('a', 20, 0.9, { latencyP95Ms: 9000 })], 1)[0]?.reason).toContain('p95 latency')
  })

  it('rolls back when the targets that gained weight do worse than predicted, then holds', () => {
    const guard = new RollbackGuard(guardrailsSchema.parse({}).rollback)
    guard.watch(
      'r',
      1,
      { a: 0.8, b: 0.2 },
      { a: 0.2, b: 0.8 },
      { a: { mean: 0.8, sd: 0.02 }, b: { mean: 0.85, sd: 0.02 } },
    )
    expect(guard.observe('r', [ev('a', 5, 0.8), ev('b', 10, 0.4)], 2)).toEqual({ kind: 'none' })
    const v = guard.observe('r', [ev('a', 5, 0.8), ev('b', 30, 0.4)], 3)
    expect(v.kind).toBe('rollback')
    if (v.kind === 'rollback') expect(v.weights).toEqual({ a: 0.8, b: 0.2 })
    expect(guard.inCooldown('r', 4)).toBe(true)
  })

  it('does not roll back when quality held up, nor when every target dropped alike (drift)', () => {
    const settings = guardrailsSchema.parse({}).rollback
    const ok = new RollbackGuard(settings)
    ok.watch(
      'r',
      1,
      { a: 0.8, b: 0.2 },
      { a: 0.2, b: 0.8 },
      { a: { mean: 0.8, sd: 0.02 }, b: { mean: 0.85, sd: 0.02 } },
    )
    expect(ok.observe('r', [ev('a', 10, 0.8), ev('b', 40, 0.86)], 2).kind).toBe('passed')
    const drift = new RollbackGuard(settings)
    drift.watch(
      'r',
      1,
      { a: 0.8, b: 0.2 },
      { a: 0.2, b: 0.8 },
      { a: { mean: 0.8, sd: 0.02 }, b: { mean: 0.85, sd: 0.02 } },
    )
    expect(drift.observe('r', [ev('a', 10, 0.45), ev('b', 40, 0.5)], 2).kind).toBe('passed')
  })

  it('does not roll back changes whose predictions were right on average, though chosen for looking high', () => {
    // Two targets of the same true quality; the learner's posteriors (sd 0.06) differ by chance and the
    // weight moves to the one that looks better (the winner's curse). The loser keeps few scores.
    const rng = seededRng(11)
    const normal = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next())
    const scores = (q: number, n: number) => {
      let s = 0
      for (let i = 0; i < n; i++) s += rng.next() < q ? 1 : 0
      return s
    }
    let rollbacks = 0
    const trials = 400
    for (let i = 0; i < trials; i++) {
      const guard = new RollbackGuard(guardrailsSchema.parse({}).rollback)
      const q = 0.5 + 0.4 * rng.next()
      const mean = { a: q + 0.06 * normal(), b: q + 0.06 * normal() }
      const [win, lose] = mean.a > mean.b ? ['a', 'b'] : ['b', 'a']
      guard.watch(
        'r',
        1,
        { [win]: 0.5, [lose]: 0.5 },
        { [win]: 0.9, [lose]: 0.1 },
        { a: { mean: mean.a, sd: 0.06 }, b: { mean: mean.b, sd: 0.06 } },
      )
      if (guard.observe('r', [ev(win, 36, scores(q, 36) / 36), ev(lose, 4, scores(q, 4) / 4)], 2).kind === 'rollback')
        rollbacks += 1
    }
    expect(rollbacks / trials).toBeLessThan(0.01)
  })

  it('a rollback verdict restores the old weights at once', () => {
    const { beliefs, step } = setup({ maxStep: 0.05, minSamples: 0 })
    beliefs.update([ev('a', 300, 0.5), ev('b', 300, 0.9)])
    const s = step(
      { a: 0.2, b: 0.8 },
      { verdict: { kind: 'rollback', weights: { a: 0.8, b: 0.2 }, reason: 'rolled back: test' } },
    )
    expect(s.newWeights.a).toBeCloseTo(0.8, 6)
    expect(s.reason).toContain('rolled back')
  })
})

import { describe, expect, it } from 'vitest'
import { Beliefs } from '../../optimizer/beliefs.ts'
import { guardrailsSchema, learnerSchema, objectiveSchema } from '../../optimizer/config.ts'
import type { WindowEvidence } from '../../optimizer/evidence.ts'
import { explorationWeights } from '../../optimizer/exploration.ts'
import { TargetHealth } from '../../optimizer/health.ts'
import { seededRng } from '../../optimizer/random.ts'
import { parseDataset } from '../../optimizer/replay/dataset.ts'
import { OptimizerPolicy } from '../../optimizer/replay/policies.ts'
import { outage, qualityDrift } from '../../optimizer/replay/scenarios.ts'
import { replay, type ReplayOptions } from '../../optimizer/replay/simulate.ts'
import { explorationFloor, stepRoute } from '../../optimizer/route-step.ts'
import type { PosteriorSummary } from '../../optimizer/types.ts'

const ev = (target: string, n: number, q: number, costMeanUsd = 0.001): WindowEvidence => ({
  route: 'r',
  target,
  requests: n,
  errors: 0,
  latencyP95Ms: 500,
  costMeanUsd,
  qualityCount: n,
  qualitySum: n * q,
  qualitySumSq: n * q,
  qualityBoolean: true,
})

/** One route, one cycle, with the targets' evidence given; weights start uniform. */
function oneStep(evidence: WindowEvidence[], costWeight: number) {
  const learner = learnerSchema.parse({ draws: 1000 })
  const guardrails = guardrailsSchema.parse({ maxStep: 1, minSamples: 0 })
  const beliefs = new Beliefs(learner)
  beliefs.update(evidence)
  const targets = evidence.map((e) => e.target)
  return stepRoute({
    route: 'r',
    targets,
    oldWeights: Object.fromEntries(targets.map((t) => [t, 1 / targets.length])),
    beliefs,
    health: new TargetHealth(guardrails.drain),
    verdict: { kind: 'none' },
    inCooldown: false,
    objective: objectiveSchema.parse({ costWeight }),
    learner,
    guardrails,
    rng: seededRng(7),
  })
}

const sum = (w: Record<string, number>, keys: string[]) => keys.reduce((a, k) => a + (w[k] ?? 0), 0)

describe('exploration that scales with the problem', () => {
  it('gives a target worse in both cost and quality no share (no floor, no exploration)', () => {
    // worse costs twice what best costs and scores far less: dominated. cheap is cheaper: not dominated.
    const s = oneStep([ev('best', 300, 0.9, 0.001), ev('worse', 300, 0.6, 0.002), ev('cheap', 300, 0.7, 0.0001)], 0)
    expect(s.newWeights.worse!).toBeLessThan(0.0005)
    expect(s.newWeights.cheap!).toBeCloseTo(explorationFloor(guardrailsSchema.parse({}).minWeight, 900), 6) // the route's floor, all cheap's
    expect(s.constraints.join()).toContain('dominated')
  })

  it('at λ = 0 the strongest target keeps ≥ 99% of a route with eleven targets', () => {
    // Ten cheaper, clearly weaker targets (none dominated: each is the cheapest at its quality).
    const others = Array.from({ length: 10 }, (_, i) => ev(`t${i}`, 300, 0.7 + 0.01 * i, 0.0009 - 0.00008 * i))
    const s = oneStep([ev('strong', 300, 0.92, 0.001), ...others], 0)
    expect(s.newWeights.strong!).toBeGreaterThanOrEqual(0.99)
  })

  it('spends the same floor on a route with 3 or 11 targets', () => {
    // The same evidence on the route (1,650 scored observations) spread over 3 or 11 targets.
    const floorOf = (k: number) => {
      const n = 1650 / k
      const others = Array.from({ length: k - 1 }, (_, i) => ev(`t${i}`, n, 0.6 + 0.01 * i, 0.0009 - 0.00008 * i))
      const s = oneStep([ev('strong', n, 0.92, 0.001), ...others], 0)
      return sum(
        s.newWeights,
        others.map((o) => o.target),
      )
    }
    const floor = explorationFloor(guardrailsSchema.parse({}).minWeight, 1650)
    expect(floorOf(3)).toBeCloseTo(floor, 5)
    expect(floorOf(11)).toBeCloseTo(floor, 5)
  })

  it("deliberate exploration is the route's budget, shared by the targets it explores", () => {
    const post = (target: string, q: number, own: number): PosteriorSummary => ({
      target,
      qualityMean: q,
      qualitySd: Math.sqrt((q * (1 - q)) / (own + 43)),
      evidence: own,
      costUsd: 0,
      latencyP95Ms: null,
      pBest: 0,
      prior: { mean: q, strength: 40 },
    })
    const settings = { maxWeight: 0.5, horizonCycles: 600, maxEvidence: 300 }
    const objective = objectiveSchema.parse({ costWeight: 0 })
    const total = (k: number) => {
      const ps = [post('leader', 0.8, 300), ...Array.from({ length: k - 1 }, (_, i) => post(`t${i}`, 0.76, 5))]
      return [...explorationWeights(ps, objective, { perCycle: 10, scoredFraction: 1 }, settings).values()].reduce(
        (a, b) => a + b,
        0,
      )
    }
    expect(total(2)).toBeGreaterThan(0)
    expect(total(11)).toBeLessThanOrEqual(0.5 + 1e-9)
    expect(total(11)).toBeLessThanOrEqual(total(2) * 2 + 1e-9)
  })
})

/** Two routes, eight targets of stated profiles; `lead` is best under λ = 50 on both routes. */
function manyTargetsCsv(rows: number, seed: number): string {
  const rng = seededRng(seed)
  const profiles = [
    { name: 'lead', q: 0.9, cost: 0.001 },
    { name: 'runner', q: 0.8, cost: 0.0005 },
    { name: 'weak', q: 0.3, cost: 0.0002 },
    { name: 'dear', q: 0.92, cost: 0.02 },
    ...Array.from({ length: 4 }, (_, i) => ({ name: `mid${i}`, q: 0.7 - 0.05 * i, cost: 0.0008 })),
  ]
  const lines = [['route', ...profiles.flatMap((p) => [`${p.name}|score`, `${p.name}|cost_usd`])].join(',')]
  for (let i = 0; i < rows; i++)
    lines.push([i % 3 ? 'chat' : 'code', ...profiles.flatMap((p) => [rng.next() < p.q ? 1 : 0, p.cost])].join(','))
  return lines.join('\n') + '\n'
}

describe('guardrails and drift with eight targets (replay)', () => {
  const data = parseDataset(manyTargetsCsv(12_000, 11))
  const options: ReplayOptions = {
    seed: 1,
    requestsPerSecond: 10,
    cycleSeconds: 10,
    scoredFraction: 1,
    regretCostWeight: 50,
    length: 12_000,
  }
  const policy = () =>
    new OptimizerPolicy({
      targets: data.targets,
      routes: data.routes,
      objective: objectiveSchema.parse({ costWeight: 50 }),
      scoreKind: 'boolean',
      rng: seededRng(9),
    })
  const lead = data.targets.indexOf('lead')
  const k = data.targets.length
  const share = (w: Float64Array, route: number) => w[route * k + lead]!

  it('drains an outage of the leader within one cycle', async () => {
    const t = await replay(data, policy(), { ...options, scenario: outage(lead, 6000, 1000) })
    const next = t.cycles.find((c) => c.at > 6000)!
    const before = t.cycles.filter((c) => c.at <= 6000).at(-1)!
    expect(share(before.weights, 0)).toBeGreaterThan(0.5)
    for (const r of [0, 1]) expect(share(next.weights, r)).toBeLessThan(0.05)
  })

  it('with 10% of requests scored, reroutes a leader whose quality dropped within 300 route requests', async () => {
    const t = await replay(data, policy(), {
      ...options,
      scoredFraction: 0.1,
      scenario: qualityDrift(lead, data.targets.indexOf('weak'), 6000),
    })
    const chat = data.routes.indexOf('chat')
    expect(share(t.cycles.filter((c) => c.at <= 6000).at(-1)!.weights, chat)).toBeGreaterThan(0.5)
    const gone = t.cycles.find((c) => c.at > 6000 && share(c.weights, chat) < 0.05)
    expect(gone).toBeDefined()
    let routeRequests = 0
    for (let i = 6000; i < gone!.at; i++) if (t.route[i] === chat) routeRequests += 1
    expect(routeRequests).toBeLessThanOrEqual(300)
  })
})

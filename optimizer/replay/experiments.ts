import { objectiveSchema, type ObjectiveSettings } from '../config.ts'
import { seededRng } from '../random.ts'
import type { Dataset } from './dataset.ts'
import { firstCycleAfter, hindsightRegret, routeFrequencies, routeRequests, summarizePass, trafficShare, type PassSummary, type Regret } from './metrics.ts'
import { EpsilonGreedyPolicy, FullInformationPolicy, OptimizerPolicy, PlainThompsonPolicy, UniformPolicy, type PolicyContext, type PolicyEvents, type ReplayPolicy } from './policies.ts'
import { outage, priceChange, qualityDrift, rankTargets, type Scenario } from './scenarios.ts'
import { replay, streamOrder, type ReplayOptions, type ReplayTrace } from './simulate.ts'

/** `full-information` is a bound, not a router: it sees every target's outcome on every request. */
export const POLICIES = ['optimizer', 'plain-thompson', 'epsilon-greedy', 'uniform', 'full-information'] as const
export type PolicyName = (typeof POLICIES)[number]

export interface ExperimentSetup {
  data: Dataset
  seeds: number[]
  /** Optimizer settings overrides (same shape as the `optimizer` config section). */
  overrides: Record<string, unknown>
  base: Omit<ReplayOptions, 'seed' | 'scoredFraction'>
}

/** A route objective for the replay: a cost weight λ (utility = quality − λ·cost), or an objective as configured. */
export type ReplayObjective = number | ObjectiveSettings

export function makePolicy(name: PolicyName, setup: ExperimentSetup, objective: ReplayObjective, seed: number): ReplayPolicy {
  const ctx: PolicyContext = {
    targets: setup.data.targets,
    routes: setup.data.routes,
    objective: typeof objective === 'number' ? objectiveSchema.parse({ costWeight: objective }) : objective,
    scoreKind: isBoolean(setup.data) ? 'boolean' : 'numeric',
    rng: seededRng(seed * 104_729 + 3),
  }
  if (name === 'optimizer') return new OptimizerPolicy(ctx, setup.overrides)
  if (name === 'plain-thompson') return new PlainThompsonPolicy(ctx)
  if (name === 'epsilon-greedy') return new EpsilonGreedyPolicy(ctx, 0.1)
  if (name === 'full-information') return new FullInformationPolicy(ctx)
  return new UniformPolicy(ctx)
}

const isBoolean = (d: Dataset) => d.requests.every((r) => r.outcomes.every((o) => o.score === 0 || o.score === 1))

async function run(setup: ExperimentSetup, name: PolicyName, objective: ReplayObjective, seed: number, extra: Partial<ReplayOptions> = {}): Promise<ReplayTrace> {
  return replay(setup.data, makePolicy(name, setup, objective, seed), { ...setup.base, seed, scoredFraction: 1, ...extra })
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length

export interface SweepPoint {
  /** The swept parameter: λ, or the relative quality floor. */
  param: number
  quality: number
  /** Run quality / always-strongest quality on the same stream. */
  relQuality: number
  relCost: number
  strongestShare: number
}

/**
 * One online pass per seed and objective (`param` names it); averaged over seeds. `replayData`
 * (same rows and routes, e.g. `flattenCosts(setup.data)`) is what the policy sees; quality and
 * cost are always measured on `setup.data`.
 */
export async function sweep(setup: ExperimentSetup, name: PolicyName, objectives: { param: number; objective: ReplayObjective }[], replayData: Dataset = setup.data): Promise<SweepPoint[]> {
  const strongest = rankTargets(setup.data).strongest
  const points: SweepPoint[] = []
  for (const { param, objective } of objectives) {
    const runs: PassSummary[] = []
    for (const seed of setup.seeds) {
      const t = await run({ ...setup, data: replayData }, name, objective, seed)
      runs.push(summarizeAgainstStrongest(t, setup.data, strongest, seed))
    }
    points.push({
      param,
      quality: mean(runs.map((r) => r.quality)),
      relQuality: mean(runs.map((r) => r.quality / r.strongestQuality)),
      relCost: mean(runs.map((r) => r.costUsd / r.strongestCostUsd)),
      strongestShare: mean(runs.map((r) => r.strongestShare)),
    })
  }
  return points
}

function summarizeAgainstStrongest(t: ReplayTrace, data: Dataset, strongest: number, seed: number): PassSummary {
  // The stream order is a pure function of the seed and the data; recompute what strongest-always would score.
  const order = streamOrder(data.requests.length, t.route.length, seededRng(seed))
  return summarizePass(t, strongest, (i, k) => data.requests[order[i]!]!.outcomes[k]!.score, (i, k) => data.requests[order[i]!]!.outcomes[k]!.costUsd)
}


/** Where the averaged cost/quality curve crosses `level` of the strongest target's quality (linear interpolation). */
export function atQuality(points: SweepPoint[], level: number): { relCost: number; strongestShare: number; param: number } | null {
  const sorted = [...points].sort((a, b) => b.relQuality - a.relQuality)
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i]!
    const b = sorted[i + 1]!
    if (a.relQuality >= level && b.relQuality <= level) {
      const f = a.relQuality === b.relQuality ? 0 : (a.relQuality - level) / (a.relQuality - b.relQuality)
      return { relCost: a.relCost + f * (b.relCost - a.relCost), strongestShare: a.strongestShare + f * (b.strongestShare - a.strongestShare), param: a.param + f * (b.param - a.param) }
    }
  }
  return null
}

/** Regret averaged over seeds, with the policy's events per pass (the data's stream has no injected change). */
export async function regret(setup: ExperimentSetup, name: PolicyName, costWeight: number, scoredFraction: number): Promise<Regret & { events?: PolicyEvents }> {
  const rs: Regret[] = []
  const events: PolicyEvents[] = []
  for (const seed of setup.seeds) {
    const t = await run(setup, name, costWeight, seed, { scoredFraction })
    rs.push(hindsightRegret(t))
    if (t.events) events.push(t.events)
  }
  const perPass = (k: keyof PolicyEvents) => mean(events.map((e) => e[k]))
  return {
    perRequest: mean(rs.map((r) => r.perRequest)),
    firstHalf: mean(rs.map((r) => r.firstHalf)),
    secondHalf: mean(rs.map((r) => r.secondHalf)),
    events: events.length ? { pooledChanges: perPass('pooledChanges'), routeChanges: perPass('routeChanges'), rollbacks: perPass('rollbacks') } : undefined,
  }
}

export interface ScenarioResult {
  outage: { cyclesToDrain: (number | null)[]; requestsToDrain: (number | null)[]; requestsToReadmit: (number | null)[] }
  drift: { routeRequests: number[]; censored: number; censoredRemaining: number[]; indistinct: number; globalRequests: (number | null)[] }
  price: { cyclesToEstimate: (number | null)[]; cyclesToShare: (number | null)[] }
}

const SHARE_LIMIT = 0.05
/**
 * After a drift to the weakest target's quality the two may differ only by cost; a route where the
 * drifted target trails the best by less than this utility per request is counted apart
 * (no learner can tell it from noise in a few hundred requests).
 */
const MIN_DRIFT_GAP = 0.02

/** Per route: best other target's mean utility minus `target`'s, over the requests from `at` on. */
function postChangeGap(t: ReplayTrace, at: number, target: number): number[] {
  const k = t.targets.length
  const sums = new Float64Array(t.routes.length * k)
  const counts = new Float64Array(t.routes.length)
  for (let i = at; i < t.route.length; i++) {
    const r = t.route[i]!
    counts[r]! += 1
    for (let j = 0; j < k; j++) sums[r * k + j]! += t.utilities[i * k + j]!
  }
  return t.routes.map((_, r) => {
    let best = -Infinity
    for (let j = 0; j < k; j++) if (j !== target) best = Math.max(best, sums[r * k + j]!)
    return counts[r]! ? (best - sums[r * k + target]!) / counts[r]! : 0
  })
}

/**
 * Where a scenario's change starts: the first cycle boundary from a third of the stream on, so the
 * "next cycle" is the first one whose window sees only the changed behaviour.
 */
export function changePoint(setup: ExperimentSetup, length: number): number {
  const perCycle = setup.base.requestsPerSecond * setup.base.cycleSeconds
  return Math.ceil(Math.floor(length / 3) / perCycle) * perCycle
}

/** The three injected scenarios, each mid-stream (see `changePoint`), per seed. */
export async function scenarios(setup: ExperimentSetup, name: PolicyName, costWeight: number, length: number, outageLength: number): Promise<ScenarioResult> {
  const rank = rankTargets(setup.data)
  const s = rank.strongest
  const at = changePoint(setup, length)
  const res: ScenarioResult = { outage: { cyclesToDrain: [], requestsToDrain: [], requestsToReadmit: [] }, drift: { routeRequests: [], censored: 0, censoredRemaining: [], indistinct: 0, globalRequests: [] }, price: { cyclesToEstimate: [], cyclesToShare: [] } }
  const go = (seed: number, scenario: Scenario) => run(setup, name, costWeight, seed, { length, scenario })
  for (const seed of setup.seeds) {
    let t = await go(seed, outage(s, at, outageLength))
    let freq = routeFrequencies(t)
    const before = lastCycleBefore(t, at)
    const pre = trafficShare(t, before, s, freq)
    const drained = firstCycleAfter(t, at, (c) => trafficShare(t, c, s, freq) < SHARE_LIMIT)
    res.outage.cyclesToDrain.push(drained?.cycles ?? null)
    res.outage.requestsToDrain.push(drained?.requests ?? null)
    // Re-admitted: back to three quarters of its pre-outage share (above any probe weight).
    const readmitLevel = 0.75 * pre
    res.outage.requestsToReadmit.push(firstCycleAfter(t, at + outageLength, (c) => trafficShare(t, c, s, freq) >= readmitLevel)?.requests ?? null)

    t = await go(seed, qualityDrift(s, rank.weakest, at))
    freq = routeFrequencies(t)
    const k = t.targets.length
    const beforeDrift = lastCycleBefore(t, at)
    const gap = postChangeGap(t, at, s)
    t.routes.forEach((_, r) => {
      if (t.cycles[beforeDrift]!.weights[r * k + s]! < SHARE_LIMIT) return
      if (gap[r]! < MIN_DRIFT_GAP) return void (res.drift.indistinct += 1)
      const hit = firstCycleAfter(t, at, (c) => t.cycles[c]!.weights[r * k + s]! < SHARE_LIMIT)
      if (hit) res.drift.routeRequests.push(routeRequests(t, r, at, at + hit.requests))
      else {
        res.drift.censored += 1
        res.drift.censoredRemaining.push(routeRequests(t, r, at, t.route.length))
      }
    })
    res.drift.globalRequests.push(firstCycleAfter(t, at, (c) => trafficShare(t, c, s, freq) < SHARE_LIMIT)?.requests ?? null)

    t = await go(seed, priceChange(s, 0.3, at))
    freq = routeFrequencies(t)
    const bp = lastCycleBefore(t, at)
    const oldEst = t.cycles[bp]!.costEstimates[s]
    res.price.cyclesToEstimate.push(oldEst == null ? null : firstCycleAfter(t, at, (c) => (t.cycles[c]!.costEstimates[s] ?? Infinity) <= oldEst * 0.65)?.cycles ?? null)
    const share0 = trafficShare(t, bp, s, freq)
    res.price.cyclesToShare.push(firstCycleAfter(t, at, (c) => trafficShare(t, c, s, freq) >= share0 + 0.05)?.cycles ?? null)
  }
  return res
}

function lastCycleBefore(t: ReplayTrace, at: number): number {
  let c = 0
  while (c + 1 < t.cycles.length && t.cycles[c + 1]!.at <= at) c += 1
  return c
}


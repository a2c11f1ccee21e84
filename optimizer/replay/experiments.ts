import { seededRng } from '../random.ts'
import { routeTotals, type Dataset } from './dataset.ts'
import {
  firstCycleAfter,
  hindsightRegret,
  routeFrequencies,
  routeRequests,
  summarizePass,
  trafficShare,
  type PassSummary,
  type Regret,
} from './metrics.ts'
import type { PolicyEvents } from './policies.ts'
import { makePolicy, type ExperimentSetup, type PolicyName, type ReplayObjective } from './policy-setup.ts'
import { outage, priceChange, qualityDrift, rankTargets, type Scenario } from './scenarios.ts'
import { replay, streamOrder, type ReplayOptions, type ReplayTrace } from './simulate.ts'

async function run(
  setup: ExperimentSetup,
  name: PolicyName,
  objective: ReplayObjective,
  seed: number,
  extra: Partial<ReplayOptions> = {},
): Promise<ReplayTrace> {
  return replay(setup.data, makePolicy(name, setup, objective, seed), {
    ...setup.base,
    seed,
    scoredFraction: 1,
    ...extra,
  })
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
export async function sweep(
  setup: ExperimentSetup,
  name: PolicyName,
  objectives: { param: number; objective: ReplayObjective }[],
  replayData: Dataset = setup.data,
): Promise<SweepPoint[]> {
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
  return summarizePass(
    t,
    strongest,
    (i, k) => data.requests[order[i]!]!.outcomes[k]!.score,
    (i, k) => data.requests[order[i]!]!.outcomes[k]!.costUsd,
  )
}

/** Where the averaged cost/quality curve crosses `level` of the strongest target's quality (linear interpolation). */
export function atQuality(
  points: SweepPoint[],
  level: number,
): { relCost: number; strongestShare: number; param: number } | null {
  const sorted = [...points].sort((a, b) => b.relQuality - a.relQuality)
  for (let i = 0; i + 1 < sorted.length; i++) {
    const a = sorted[i]!
    const b = sorted[i + 1]!
    if (a.relQuality >= level && b.relQuality <= level) {
      const f = a.relQuality === b.relQuality ? 0 : (a.relQuality - level) / (a.relQuality - b.relQuality)
      return {
        relCost: a.relCost + f * (b.relCost - a.relCost),
        strongestShare: a.strongestShare + f * (b.strongestShare - a.strongestShare),
        param: a.param + f * (b.param - a.param),
      }
    }
  }
  return null
}

/** Regret averaged over seeds, with the policy's events per pass (the data's stream has no injected change). */
export async function regret(
  setup: ExperimentSetup,
  name: PolicyName,
  costWeight: number,
  scoredFraction: number,
): Promise<Regret & { perSeed: number[]; events?: PolicyEvents }> {
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
    perSeed: rs.map((r) => r.perRequest),
    firstHalf: mean(rs.map((r) => r.firstHalf)),
    secondHalf: mean(rs.map((r) => r.secondHalf)),
    events: events.length
      ? {
          pooledChanges: perPass('pooledChanges'),
          routeChanges: perPass('routeChanges'),
          rollbacks: perPass('rollbacks'),
        }
      : undefined,
  }
}

export interface ScenarioResult {
  outage: { cyclesToDrain: (number | null)[]; requestsToDrain: (number | null)[]; requestsToReadmit: (number | null)[] }
  drift: {
    routeRequests: number[]
    censored: number
    censoredRemaining: number[]
    indistinct: number
    globalRequests: (number | null)[]
  }
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

export interface ScenarioOptions {
  /**
   * The target that fails (outage) and drifts: `strongest` (highest mean score) or `leader` (highest
   * mean utility quality − costWeight·cost over the data, the one the objective sends traffic to).
   * The price change always applies to the strongest.
   */
  subject?: 'strongest' | 'leader'
  /** Share of requests scored in every scenario (the drift's speed depends on it). */
  scoredFraction?: number
  /** Which scenarios to run (default all three). */
  only?: readonly ('outage' | 'drift' | 'price')[]
}

/** The target with the highest mean utility under `costWeight` over the data. */
export function leaderTarget(data: Dataset, costWeight: number): number {
  const rank = rankTargets(data)
  let best = 0
  rank.meanScore.forEach((q, i) => {
    if (q - costWeight * rank.meanCost[i]! > rank.meanScore[best]! - costWeight * rank.meanCost[best]!) best = i
  })
  return best
}

/** The three injected scenarios, each mid-stream (see `changePoint`), per seed. */
export async function scenarios(
  setup: ExperimentSetup,
  name: PolicyName,
  costWeight: number,
  length: number,
  outageLength: number,
  options: ScenarioOptions = {},
): Promise<ScenarioResult> {
  const rank = rankTargets(setup.data)
  const s = options.subject === 'leader' ? leaderTarget(setup.data, costWeight) : rank.strongest
  const weakest = rank.weakest === s ? rank.strongest : rank.weakest
  const only = options.only ?? ['outage', 'drift', 'price']
  const at = changePoint(setup, length)
  const res: ScenarioResult = {
    outage: { cyclesToDrain: [], requestsToDrain: [], requestsToReadmit: [] },
    drift: { routeRequests: [], censored: 0, censoredRemaining: [], indistinct: 0, globalRequests: [] },
    price: { cyclesToEstimate: [], cyclesToShare: [] },
  }
  const go = (seed: number, scenario: Scenario) =>
    run(setup, name, costWeight, seed, { length, scenario, scoredFraction: options.scoredFraction ?? 1 })
  for (const seed of setup.seeds) {
    let t: ReplayTrace
    let freq: number[]
    if (only.includes('outage')) {
      t = await go(seed, outage(s, at, outageLength))
      freq = routeFrequencies(t)
      const before = lastCycleBefore(t, at)
      const pre = trafficShare(t, before, s, freq)
      const drained = firstCycleAfter(t, at, (c) => trafficShare(t, c, s, freq) < SHARE_LIMIT)
      res.outage.cyclesToDrain.push(drained?.cycles ?? null)
      res.outage.requestsToDrain.push(drained?.requests ?? null)
      // Re-admitted: back to three quarters of its pre-outage share (above any probe weight).
      const readmitLevel = 0.75 * pre
      res.outage.requestsToReadmit.push(
        firstCycleAfter(t, at + outageLength, (c) => trafficShare(t, c, s, freq) >= readmitLevel)?.requests ?? null,
      )
    }

    if (only.includes('drift')) {
      t = await go(seed, qualityDrift(s, weakest, at))
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
      res.drift.globalRequests.push(
        firstCycleAfter(t, at, (c) => trafficShare(t, c, s, freq) < SHARE_LIMIT)?.requests ?? null,
      )
    }

    if (only.includes('price')) {
      const p = rank.strongest
      t = await go(seed, priceChange(p, 0.3, at))
      freq = routeFrequencies(t)
      const bp = lastCycleBefore(t, at)
      const oldEst = t.cycles[bp]!.costEstimates[p]
      res.price.cyclesToEstimate.push(
        oldEst == null
          ? null
          : (firstCycleAfter(t, at, (c) => (t.cycles[c]!.costEstimates[p] ?? Infinity) <= oldEst * 0.65)?.cycles ??
              null),
      )
      const share0 = trafficShare(t, bp, p, freq)
      res.price.cyclesToShare.push(
        firstCycleAfter(t, at, (c) => trafficShare(t, c, p, freq) >= share0 + 0.05)?.cycles ?? null,
      )
    }
  }
  return res
}

function lastCycleBefore(t: ReplayTrace, at: number): number {
  let c = 0
  while (c + 1 < t.cycles.length && t.cycles[c + 1]!.at <= at) c += 1
  return c
}

export interface Crossing {
  /** Cost saving and strongest-call reduction are 1 − these, at the crossing. */
  relCost: number
  strongestShare: number
  /** λ at the crossing. */
  param: number
}

/**
 * Where the policy's quality/cost curve over λ crosses `level` of the strongest target's quality,
 * found adaptively: λ doubles from `lambda0` until quality falls under the level, then bisection
 * (on log λ) narrows the bracket, and the last bracket is interpolated. Right on any data, however
 * the targets' quality/cost ratios are spread (a fixed grid lands every point past the crossing
 * when the weakest target is nearly as expensive as the strongest). `cache` shares passes between
 * levels. Null with `best` when even λ = 0 stays below the level.
 */
export async function crossing(
  setup: ExperimentSetup,
  name: PolicyName,
  level: number,
  lambda0: number,
  cache = new Map<number, SweepPoint>(),
  iterations = 8,
  replayData: Dataset = setup.data,
): Promise<{ at: Crossing | null; best: SweepPoint }> {
  const at = async (l: number): Promise<SweepPoint> => {
    let p = cache.get(l)
    if (!p) cache.set(l, (p = (await sweep(setup, name, [{ param: l, objective: l }], replayData))[0]!))
    return p
  }
  const zero = await at(0)
  if (zero.relQuality < level) return { at: null, best: zero }
  // The tightest bracket the evaluated points give: the largest λ still at the level, the smallest above it that is not.
  const bracket = (): [SweepPoint, SweepPoint | null] => {
    const pts = [...cache.values()].sort((a, b) => a.param - b.param)
    let lo = zero
    for (const p of pts) if (p.relQuality >= level && p.param > lo.param) lo = p
    const hi = pts.find((p) => p.param > lo.param && p.relQuality < level) ?? null
    return [lo, hi]
  }
  let l = Math.max(lambda0, 1e-6)
  for (let i = 0; i < 16 && !bracket()[1]; i++, l *= 2) await at(l)
  let [lo, hi] = bracket()
  for (let i = 0; i < iterations && hi; i++) {
    // From λ = 0 the bracket shrinks by 8× per step, then by bisection on log λ.
    await at(lo.param > 0 ? Math.sqrt(lo.param * hi.param) : hi.param / 8)
    ;[lo, hi] = bracket()
  }
  // Never under the level (up to 2¹⁶ λ₀, or a noisy point past the bracket): the saving where it stays.
  if (!hi) return { at: { relCost: lo.relCost, strongestShare: lo.strongestShare, param: lo.param }, best: zero }
  const f = lo.relQuality === hi.relQuality ? 0 : (lo.relQuality - level) / (lo.relQuality - hi.relQuality)
  return {
    at: {
      relCost: lo.relCost + f * (hi.relCost - lo.relCost),
      strongestShare: lo.strongestShare + f * (hi.strongestShare - lo.strongestShare),
      param: lo.param + f * (hi.param - lo.param),
    },
    best: zero,
  }
}

/** λ₀: the data's own exchange rate, mean quality gap / mean cost gap of the strongest and the weakest target. */
export function lambdaZero(data: Dataset): number {
  const rank = rankTargets(data)
  const dq = rank.meanScore[rank.strongest]! - rank.meanScore[rank.weakest]!
  const dc = Math.abs(rank.meanCost[rank.strongest]! - rank.meanCost[rank.weakest]!) || 1e-9
  return dq / dc
}

/**
 * Steady-state shares of one pass per seed, over the second half of the stream: the share of
 * requests sent to each route's highest-quality target (hindsight over the data), and the share
 * sent to targets *dominated* on their route (another target with a mean quality higher by at
 * least DOMINANCE_MARGIN at no more than its mean cost).
 */
const DOMINANCE_MARGIN = 0.02
export async function steadyShares(
  setup: ExperimentSetup,
  name: PolicyName,
  costWeight: number,
): Promise<{ bestQuality: number; dominated: number; relQuality: number }> {
  const k = setup.data.targets.length
  const { requests: n, score: q, cost: c } = routeTotals(setup.data)
  const best = setup.data.routes.map((_, r) => {
    let b = 0
    for (let j = 1; j < k; j++) if (q[r * k + j]! > q[r * k + b]!) b = j
    return b
  })
  const dominated = setup.data.routes.map((_, r) =>
    Array.from({ length: k }, (_, j) =>
      Array.from(
        { length: k },
        (_, i) =>
          i !== j && q[r * k + i]! >= q[r * k + j]! + DOMINANCE_MARGIN * n[r]! && c[r * k + i]! <= c[r * k + j]!,
      ).some(Boolean),
    ),
  )
  const shares = { bestQuality: 0, dominated: 0, relQuality: 0 }
  for (const seed of setup.seeds) {
    const t = await run(setup, name, costWeight, seed)
    const order = streamOrder(setup.data.requests.length, t.route.length, seededRng(seed))
    const from = Math.floor(t.route.length / 2)
    let b = 0
    let d = 0
    let q = 0
    let qBest = 0
    for (let i = from; i < t.route.length; i++) {
      if (t.chosen[i] === best[t.route[i]!]) b += 1
      if (dominated[t.route[i]!]![t.chosen[i]!]) d += 1
      q += t.score[i]!
      qBest += setup.data.requests[order[i]!]!.outcomes[best[t.route[i]!]!]!.score
    }
    shares.bestQuality += b / (t.route.length - from) / setup.seeds.length
    shares.dominated += d / (t.route.length - from) / setup.seeds.length
    shares.relQuality += q / qBest / setup.seeds.length
  }
  return shares
}

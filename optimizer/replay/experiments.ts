import { seededRng } from '../random.ts'
import { routeTotals, type Dataset } from './dataset.ts'
import { hindsightRegret, summarizePass, type PassSummary, type Regret } from './metrics.ts'
import type { PolicyEvents } from './policies.ts'
import { runPolicy, type ExperimentSetup, type PolicyName, type ReplayObjective } from './policy-setup.ts'
import { rankTargets } from './scenarios.ts'
import { streamOrder, type ReplayTrace } from './simulate.ts'

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
      const t = await runPolicy({ ...setup, data: replayData }, name, objective, seed)
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
    const t = await runPolicy(setup, name, costWeight, seed, { scoredFraction })
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
    const t = await runPolicy(setup, name, costWeight, seed)
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

/** The injected scenarios (outage, quality drift, price change) replayed mid-stream, and what each measures. */
import type { Dataset } from './dataset.ts'
import { firstCycleAfter, routeFrequencies, routeRequests, trafficShare } from './metrics.ts'
import { runPolicy, type ExperimentSetup, type PolicyName } from './policy-setup.ts'
import { outage, priceChange, qualityDrift, rankTargets, type Scenario } from './scenarios.ts'
import type { ReplayTrace } from './simulate.ts'

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
    runPolicy(setup, name, costWeight, seed, { length, scenario, scoredFraction: options.scoredFraction ?? 1 })
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

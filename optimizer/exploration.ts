import type { ObjectiveSettings } from './config.ts'
import type { PosteriorSummary, RouteTraffic } from './types.ts'
import { bestIndex, latencyPenalty, type Candidate } from './objective.ts'

export interface ExplorationSettings {
  /** Largest weight exploration gives a target in one cycle. */
  maxWeight: number
  /** Cycles a better decision keeps paying off (learner.exploreHorizon). */
  horizonCycles: number
  /** Observations a route × target holds at most (learner.maxEvidence): more buy nothing. */
  maxEvidence: number
  /** Targets not to explore (dominated in cost and quality: no objective picks them). */
  skip?: ReadonlySet<string>
}

const phi = (z: number) => Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI)
/** Standard normal CDF (Abramowitz–Stegun 26.2.17, |error| < 8e-8). */
function Phi(z: number): number {
  const t = 1 / (1 + 0.2316419 * Math.abs(z))
  const poly = t * (0.31938153 + t * (-0.356563782 + t * (1.781477937 + t * (-1.821255978 + t * 1.330274429))))
  const upper = phi(z) * poly
  return z >= 0 ? 1 - upper : upper
}

/** E[max(0, X)] for X ~ N(m, s²). */
export function expectedPositive(m: number, s: number): number {
  if (s <= 0) return Math.max(0, m)
  return s * phi(m / s) + m * Phi(m / s)
}

/**
 * How target `i` would beat the leader `l` under the objective, as a margin linear in their
 * qualities: margin = slope·q_i − (what q_i must exceed). Positive margin = i should be chosen.
 * Returns the margin at the posterior means and its slope in q_i (0: i's quality cannot flip it).
 */
function margin(i: Candidate, l: Candidate, o: ObjectiveSettings): { margin: number; slope: number } {
  if (o.kind === 'utility') {
    const u = (c: Candidate) =>
      c.quality - o.costWeight * c.costUsd - o.latencyWeight * latencyPenalty(c.latencyP95Ms, o.latencySloMs)
    return { margin: u(i) - u(l), slope: 1 }
  }
  const rel = o.qualityFloor?.relative
  const abs = o.qualityFloor?.absolute ?? -Infinity
  if (i.costUsd < l.costUsd) {
    // i is cheaper: it wins once its quality clears the floor set by the leader.
    return { margin: i.quality - Math.max(abs, (rel ?? 0) * l.quality), slope: 1 }
  }
  // i is dearer: it wins once the leader falls under the floor that i's quality sets.
  if (rel === undefined || rel * i.quality <= abs) return { margin: 0, slope: 0 }
  return { margin: rel * i.quality - l.quality, slope: rel }
}

/**
 * Deliberate exploration (an online knowledge gradient with a budget): for each target that does
 * not lead at the posterior means, the number n of further scored observations that maximizes
 *   horizon · E[max(0, margin after n observations)] − (n / scored fraction) · |margin now|,
 * i.e. what the better decision is worth over the route's next `horizonCycles` cycles of traffic, minus what
 * serving the worse-looking target costs meanwhile. After n observations the posterior mean of its
 * quality moves by sd·√(n / (n₀ + n)), n₀ being the observations the posterior already holds
 * (prior worth + own). When that pays, the target gets the weight that buys those observations
 * this cycle. `maxWeight` is the route's budget, shared by all the targets it explores (the ones
 * whose observations are worth most net first), so it does not grow with the number of targets.
 * Exploration thus goes where the decision is uncertain, the route is large and the target has few
 * observations of its own, and stops as evidence grows.
 */
export function explorationWeights(
  posteriors: readonly PosteriorSummary[],
  objective: ObjectiveSettings,
  traffic: RouteTraffic,
  settings: ExplorationSettings,
): Map<string, number> {
  const out = new Map<string, number>()
  if (posteriors.length < 2 || traffic.perCycle <= 0 || traffic.scoredFraction <= 0 || settings.maxWeight <= 0)
    return out
  const cands: Candidate[] = posteriors.map((p) => ({
    quality: p.qualityMean,
    costUsd: p.costUsd ?? 0,
    latencyP95Ms: p.latencyP95Ms,
  }))
  const lead = bestIndex(cands, objective)
  const f = traffic.scoredFraction
  const H = traffic.perCycle * settings.horizonCycles
  const wanted: { target: string; weight: number; net: number }[] = []
  posteriors.forEach((p, i) => {
    if (i === lead || settings.skip?.has(p.target)) return
    const { margin: m, slope } = margin(cands[i]!, cands[lead]!, objective)
    if (slope <= 0 || m >= 0 || !(p.qualitySd > 0)) return
    const n0 = p.prior.strength + p.evidence
    const room = settings.maxEvidence - p.evidence
    let bestN = 0
    let bestNet = 0
    for (let n = 1; n <= H * f; n *= 1.5) {
      const kept = Math.min(n, room)
      if (kept <= 0) break
      const s = slope * p.qualitySd * Math.sqrt(kept / (n0 + kept))
      const net = H * expectedPositive(m, s) - (n / f) * -m
      if (net > bestNet) [bestN, bestNet] = [n, net]
    }
    if (bestN > 0) wanted.push({ target: p.target, weight: bestN / (f * traffic.perCycle), net: bestNet })
  })
  let budget = settings.maxWeight
  for (const w of wanted.sort((a, b) => b.net - a.net)) {
    if (budget <= 0) break
    const weight = Math.min(budget, w.weight)
    out.set(w.target, weight)
    budget -= weight
  }
  return out
}

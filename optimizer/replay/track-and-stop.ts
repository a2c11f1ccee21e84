/**
 * TensorZero's adaptive A/B test (`type = "track_and_stop"`), which DESIGN.md names as the bar the
 * optimizer has to clear, as a replay baseline: per route, every target is a variant and a scored
 * request's utility (quality − λ·cost) is its feedback. Written from TensorZero's documented
 * algorithm and defaults (tensorzero-core/src/experimentation/track_and_stop):
 *
 * - nursery: a target with fewer than `minSamples` (10) feedbacks gets 1/K of the traffic; with
 *   fewer than two graduated targets the whole route is uniform;
 * - bandit: the graduated targets share the rest by the Gaussian best-arm-identification optimal
 *   proportions (`optimalProportions`), each at least `minProb` (1e-6);
 * - stop: when the leader's pairwise GLR statistic against every other graduated target exceeds
 *   ln((1 + ln N) / δ) (N the feedbacks, δ = 0.05), the leader takes all of its mass;
 * - the state is recomputed from each target's most recent `maxSamples` (10,000) feedbacks at every
 *   update (here every cycle), so a stopped route resumes if its winner's evidence erodes.
 *
 * Two simplifications, both toward a stronger baseline: the regularization toward uniform
 * (0.01 / √N, negligible against the objective's scale) is left out, and a target's variance is
 * that of its scores (the cost term's variance is not in the stats the replay reads).
 */
import type { RouteTargetStats } from '../../collector/client.ts'
import { toEvidence } from '../evidence.ts'
import { utility } from '../objective.ts'
import type { Weights } from '../weights.ts'
import { CumulativePolicy, type PolicyContext } from './policies.ts'

export interface TrackAndStopSettings {
  minSamples: number
  delta: number
  epsilon: number
  minProb: number
  maxSamples: number
}

export const TRACK_AND_STOP_DEFAULTS: TrackAndStopSettings = {
  minSamples: 10,
  delta: 0.05,
  epsilon: 0,
  minProb: 1e-6,
  maxSamples: 10_000,
}

/** One target's feedback: count, mean and variance of its utility. */
export interface ArmFeedback {
  count: number
  mean: number
  variance: number
}

const VARIANCE_FLOOR = 1e-12
const GAP_SQ_FLOOR = 1e-6

/** The leader: the highest mean, ties to the smallest variance per feedback, then the lowest index. */
export function leaderOf(arms: readonly ArmFeedback[]): number {
  const top = Math.max(...arms.map((a) => a.mean))
  let leader = -1
  arms.forEach((a, i) => {
    if (Math.abs(a.mean - top) >= 1e-10) return
    const perPull = (x: ArmFeedback) => Math.max(x.variance, VARIANCE_FLOOR) / Math.max(1, x.count)
    if (leader < 0 || perPull(a) < perPull(arms[leader]!)) leader = i
  })
  return leader
}

/** The winner if the leader is told from every other arm at confidence 1 − δ, else null. */
export function stoppingWinner(arms: readonly ArmFeedback[], s: TrackAndStopSettings): number | null {
  if (arms.some((a) => a.count < s.minSamples)) return null
  const leader = leaderOf(arms)
  const l = arms[leader]!
  const total = arms.reduce((n, a) => n + a.count, 0)
  const threshold = Math.log((1 + Math.log(total)) / s.delta)
  for (let i = 0; i < arms.length; i++) {
    if (i === leader) continue
    const a = arms[i]!
    const gap = l.mean - a.mean + s.epsilon
    const pooled = Math.max(l.variance, VARIANCE_FLOOR) / l.count + Math.max(a.variance, VARIANCE_FLOOR) / a.count
    if (gap <= 0 || gap ** 2 / (2 * pooled) <= threshold) return null
  }
  return leader
}

/**
 * The sampling proportions w that maximize min over challengers i of gap_i² / (σ_i²/w_i + σ_L²/w_L)
 * (the rate at which the leader L is told from its closest challenger), each w ≥ `minProb`. For a
 * rate T and a leader share w_L, challenger i needs w_i ≥ σ_i² / (gap_i²/T − σ_L²/w_L); the best w_L
 * minimizes the shares needed (convex in w_L: golden-section search), and T is the largest rate
 * whose shares fit in 1 (bisection).
 */
export function optimalProportions(arms: readonly ArmFeedback[], epsilon: number, minProb: number): number[] {
  const k = arms.length
  const leader = leaderOf(arms)
  const v = arms.map((a) => Math.max(a.variance, VARIANCE_FLOOR))
  const g2 = arms.map((a) => Math.max((arms[leader]!.mean - a.mean + epsilon) ** 2, GAP_SQ_FLOOR))
  const vL = v[leader]!
  const minG2 = Math.min(...g2.filter((_, i) => i !== leader))
  const share = (i: number, rate: number, wL: number): number => {
    if (i === leader) return wL
    const room = g2[i]! / rate - vL / wL
    return room > 0 ? Math.max(minProb, v[i]! / room) : Infinity
  }
  const total = (rate: number, wL: number): number => {
    let sum = 0
    for (let i = 0; i < k; i++) sum += share(i, rate, wL)
    return sum
  }
  // Golden-section search; the total is infinite below the share every challenger needs, so the minimum lies above.
  const bestLeaderShare = (rate: number): number => {
    const phi = (Math.sqrt(5) - 1) / 2
    let lo = Math.min(1, (vL * rate) / minG2)
    let hi = 1
    let a = hi - phi * (hi - lo)
    let b = lo + phi * (hi - lo)
    let fa = total(rate, a)
    let fb = total(rate, b)
    for (let it = 0; it < 50; it++) {
      if (fa === Infinity || fa > fb) {
        ;[lo, a, fa] = [a, b, fb]
        b = lo + phi * (hi - lo)
        fb = total(rate, b)
      } else {
        ;[hi, b, fb] = [b, a, fa]
        a = hi - phi * (hi - lo)
        fa = total(rate, a)
      }
    }
    return (lo + hi) / 2
  }
  // The rate is below the leader's own bound (w_L ≤ 1).
  let lo = 0
  let hi = minG2 / vL
  for (let it = 0; it < 50; it++) {
    const rate = (lo + hi) / 2
    if (total(rate, bestLeaderShare(rate)) <= 1) lo = rate
    else hi = rate
  }
  if (lo === 0) return arms.map(() => 1 / k)
  const wL = bestLeaderShare(lo)
  const w = arms.map((_, i) => share(i, lo, wL))
  const sum = w.reduce((x, y) => x + y, 0)
  return w.map((x) => x / sum)
}

/** Per route × target: each cycle's feedback, oldest first, so only the newest `maxSamples` count. */
interface Ledger {
  cycles: { count: number; sum: number; sumSq: number }[]
  costSum: number
  served: number
}

export class TrackAndStopPolicy extends CumulativePolicy {
  readonly name = 'track-and-stop (TensorZero)'
  private readonly ledgers = new Map<string, Ledger>()

  constructor(
    ctx: PolicyContext,
    private readonly settings: TrackAndStopSettings = TRACK_AND_STOP_DEFAULTS,
  ) {
    super(ctx)
    if (ctx.objective.kind !== 'utility')
      throw new Error('track-and-stop optimizes one metric: give it a utility objective (a cost weight λ)')
  }

  protected learn(window: RouteTargetStats[]): void {
    for (const s of window) {
      const key = `${s.route}|${s.target}`
      const l = this.ledgers.get(key) ?? { cycles: [], costSum: 0, served: 0 }
      const ev = toEvidence(s, undefined)
      const served = s.requests - s.errors
      l.costSum += ev.costMeanUsd * served
      l.served += served
      if (ev.qualityCount > 0) l.cycles.push({ count: ev.qualityCount, sum: ev.qualitySum, sumSq: ev.qualitySumSq })
      let count = l.cycles.reduce((n, c) => n + c.count, 0)
      while (l.cycles.length > 1 && count - l.cycles[0]!.count >= this.settings.maxSamples)
        count -= l.cycles.shift()!.count
      this.ledgers.set(key, l)
    }
  }

  private feedback(route: string, target: string): ArmFeedback {
    const l = this.ledgers.get(`${route}|${target}`)
    let count = 0
    let sum = 0
    let sumSq = 0
    for (const c of l?.cycles ?? []) [count, sum, sumSq] = [count + c.count, sum + c.sum, sumSq + c.sumSq]
    if (!l || count === 0) return { count: 0, mean: 0, variance: 0 }
    const quality = sum / count
    const costUsd = l.served ? l.costSum / l.served : 0
    return {
      count,
      mean: utility({ quality, costUsd, latencyP95Ms: null }, this.ctx.objective),
      variance: Math.max(0, sumSq / count - quality ** 2),
    }
  }

  protected decide(route: string): Weights {
    const targets = this.ctx.targets
    if (targets.length === 1) return { [targets[0]!]: 1 }
    const arms = targets.map((t) => this.feedback(route, t))
    const graduated = targets.map((_, i) => i).filter((i) => arms[i]!.count >= this.settings.minSamples)
    const nursery = targets.length - graduated.length
    if (graduated.length < 2) return Object.fromEntries(targets.map((t) => [t, 1 / targets.length]))
    const bandit = graduated.map((i) => arms[i]!)
    const winner = stoppingWinner(bandit, this.settings)
    const shares =
      winner !== null
        ? bandit.map((_, j) => (j === winner ? 1 : 0))
        : optimalProportions(bandit, this.settings.epsilon, this.settings.minProb)
    // Each nursery target gets what one more variant would: 1/K beside the bandit, 1/(n + 1) beside a
    // stopped winner (TensorZero's nursery_total_mass).
    const others = winner !== null ? 1 : graduated.length
    const nurseryShare = 1 / (nursery + others)
    const mass = 1 - nursery * nurseryShare
    const w: Weights = Object.fromEntries(targets.map((t) => [t, nurseryShare]))
    graduated.forEach((i, j) => (w[targets[i]!] = shares[j]! * mass))
    return w
  }
}

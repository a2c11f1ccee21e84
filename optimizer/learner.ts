import { costEstimate } from './beliefs.ts'
import type { LearnerSettings, ObjectiveSettings } from './config.ts'
import { FALLBACK_PRIOR_STRENGTH, routeOffset } from './hierarchy.ts'
import { bestIndex, type Candidate } from './objective.ts'
import { sampleBeta, sampleNormal, type Rng } from './random.ts'
import type { PosteriorSummary, QualityPrior, TargetBelief } from './types.ts'

/** Quality posterior of one route × target: Beta for boolean scores, Normal for numeric ones. */
interface QualityPosterior {
  mean: number
  sd: number
  sample(rng: Rng): number
}

const UNINFORMED_MEAN = 0.5
const MIN_VARIANCE = 1e-4

export function qualityPosterior(own: TargetBelief, pooled: TargetBelief, prior: QualityPrior): QualityPosterior {
  // Sparse routes borrow strength from the other routes through the prior.
  const pooledMean = pooled.qCount > 0 ? pooled.qSum / pooled.qCount : UNINFORMED_MEAN
  const priorMean = Math.min(0.99, Math.max(0.01, prior.mean ?? pooledMean))
  const priorN = pooled.qCount > 0 ? Math.min(prior.strength, pooled.qCount) : 0
  if (own.qBoolean && pooled.qBoolean) {
    const a = 1 + priorN * priorMean + own.qSum
    const b = 1 + priorN * (1 - priorMean) + Math.max(0, own.qCount - own.qSum)
    const n = a + b
    return { mean: a / n, sd: Math.sqrt((a * b) / (n * n * (n + 1))), sample: (rng) => sampleBeta(rng, a, b) }
  }
  const pooledVar = pooled.qCount > 1 ? Math.max(MIN_VARIANCE, pooled.qSumSq / pooled.qCount - pooledMean ** 2) : 0.25
  const n = priorN + own.qCount
  if (n <= 0) return { mean: UNINFORMED_MEAN, sd: 0.5, sample: (rng) => UNINFORMED_MEAN + 0.5 * sampleNormal(rng) }
  const mean = (priorN * priorMean + own.qSum) / n
  const ownVar = own.qCount > 1 ? Math.max(0, own.qSumSq / own.qCount - (own.qSum / own.qCount) ** 2) : pooledVar
  // Pseudo-count 1 of the pooled variance keeps a few identical scores from claiming certainty.
  const variance = Math.max(MIN_VARIANCE, (own.qCount * ownVar + pooledVar) / (own.qCount + 1))
  const sd = Math.sqrt(variance / Math.max(n, 1))
  return { mean, sd, sample: (rng) => mean + sd * sampleNormal(rng) }
}

export interface AllocationInput {
  targets: readonly string[]
  own: readonly TargetBelief[]
  pooled: readonly TargetBelief[]
  /** Each target's prior on this route (Beliefs.prior); default: pooled mean + route offset, learner.priorStrength. */
  prior?: readonly QualityPrior[]
}

/**
 * Thompson allocation: the weight of a target is the posterior probability that it is the best
 * under the route's objective, estimated with `draws` joint Monte-Carlo draws.
 */
export function allocate(
  input: AllocationInput,
  objective: ObjectiveSettings,
  settings: LearnerSettings,
  rng: Rng,
): PosteriorSummary[] {
  const k = input.targets.length
  const offset = routeOffset(input.own, input.pooled)
  const strength = settings.priorStrength === 'auto' ? FALLBACK_PRIOR_STRENGTH : settings.priorStrength
  const priorOf = (i: number): QualityPrior => {
    const p = input.pooled[i]!
    return input.prior?.[i] ?? { mean: p.qCount > 0 ? p.qSum / p.qCount + offset : null, strength }
  }
  const priors = input.targets.map((_, i) => priorOf(i))
  const posteriors = input.targets.map((_, i) => qualityPosterior(input.own[i]!, input.pooled[i]!, priors[i]!))
  const costs = input.targets.map((_, i) => costEstimate(input.own[i]!, input.pooled[i]!))
  const latencies = input.targets.map((_, i) => input.own[i]!.latencyP95Ms ?? input.pooled[i]!.latencyP95Ms)
  const wins = new Array<number>(k).fill(0)
  const cands: Candidate[] = input.targets.map((_, i) => ({
    quality: 0,
    costUsd: costs[i] ?? 0,
    latencyP95Ms: latencies[i]!,
  }))
  for (let d = 0; d < settings.draws; d++) {
    for (let i = 0; i < k; i++) cands[i]!.quality = posteriors[i]!.sample(rng)
    wins[bestIndex(cands, objective)]! += 1
  }
  return input.targets.map((target, i) => ({
    target,
    qualityMean: posteriors[i]!.mean,
    qualitySd: posteriors[i]!.sd,
    evidence: input.own[i]!.qCount,
    costUsd: costs[i]!,
    latencyP95Ms: latencies[i]!,
    pBest: wins[i]! / settings.draws,
    prior: priors[i]!,
  }))
}

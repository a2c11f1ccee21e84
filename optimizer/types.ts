/**
 * The optimizer's shared data shapes (beliefs, learner, exploration and hierarchy all use them),
 * kept here so those modules import each other only for what they compute, never in a circle.
 */
import type { DropCusum, QualityStats } from './change-detector.ts'

/** Discounted sufficient statistics of one route × target (or of one target pooled over routes). */
export interface TargetBelief {
  qCount: number
  qSum: number
  qSumSq: number
  qBoolean: boolean
  /** Scored observations ever seen (not discounted): the min-samples guardrail counts these. */
  scoredTotal: number
  requests: number
  /** Scored requests, discounted like `requests` (never capped or restarted): the scored fraction. */
  scored: number
  /** Cost per served request, discounted like quality. */
  costSlowSum: number
  costSlowN: number
  /**
   * Pooled over routes, over the short memory `costDiscount`: what the target cost and what the
   * same requests would have cost at each route's long-run mean. Their ratio is the target's price
   * index, free of shifts in which routes it serves.
   */
  costActual: number
  costPredicted: number
  /** p95 latency, fast memory like cost; null until measured. */
  latencyP95Ms: number | null
  /** The last `changeWindow` observations (exponentially weighted), for change detection. */
  recent: QualityStats
  /** CUSUM of a quality drop against the long run (route × target only). */
  drop: DropCusum
}

/** A route's prior on a target's quality: its mean (null: the target's pooled mean) and worth in observations. */
export interface QualityPrior {
  mean: number | null
  strength: number
}

/** Per-target posterior, as stored with each decision. */
export interface PosteriorSummary {
  target: string
  qualityMean: number
  qualitySd: number
  /** Effective (discounted) scored observations of this route, without the prior. */
  evidence: number
  costUsd: number | null
  latencyP95Ms: number | null
  /** Monte-Carlo probability that this target is the best under the objective. */
  pBest: number
  /** The prior shared with the other routes: its mean (null = pooled mean) and worth in observations. */
  prior: QualityPrior
}

/** A route's traffic as the learner remembers it (Beliefs.traffic). */
export interface RouteTraffic {
  /** Requests per cycle. */
  perCycle: number
  /** Share of requests that carry a score. */
  scoredFraction: number
}

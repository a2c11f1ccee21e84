import type { RouteTargetStats } from '../collector/client.ts'

/** One window's facts about one route × target, reduced from the collector's RouteTargetStats. */
export interface WindowEvidence {
  route: string
  target: string
  requests: number
  errors: number
  latencyP95Ms: number | null
  costMeanUsd: number
  /** Scored observations of the chosen quality score (or all scores pooled). */
  qualityCount: number
  qualitySum: number
  qualitySumSq: number
  /** True when every pooled score is boolean (a Beta posterior fits). */
  qualityBoolean: boolean
}

/** Picks the configured score name, or pools every numeric/boolean score on a 0–1 scale. */
export function toEvidence(s: RouteTargetStats, score: string | undefined): WindowEvidence {
  const aggregates = score ? (s.quality[score] ? [s.quality[score]!] : []) : Object.values(s.quality)
  let count = 0
  let sum = 0
  let sumSq = 0
  let boolean = aggregates.length > 0
  for (const a of aggregates) {
    count += a.count
    sum += a.sum
    sumSq += a.sum_sq
    if (a.data_type !== 'boolean') boolean = false
  }
  const cost = Number(s.cost_mean_usd)
  return {
    route: s.route,
    target: s.target,
    requests: s.requests,
    errors: s.errors,
    latencyP95Ms: s.latency_ms ? s.latency_ms.p95 : null,
    costMeanUsd: Number.isFinite(cost) ? cost : 0,
    qualityCount: count,
    qualitySum: sum,
    qualitySumSq: sumSq,
    qualityBoolean: boolean,
  }
}

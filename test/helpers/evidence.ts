import type { WindowEvidence } from '../../optimizer/evidence.ts'

/** One cycle's window of a route × target with every request scored (boolean scores), none failed. */
export const scoredWindow = (
  route: string,
  target: string,
  n: number,
  successes: number,
  cost = 0.001,
): WindowEvidence => ({
  route,
  target,
  requests: n,
  errors: 0,
  latencyP95Ms: 500,
  costMeanUsd: cost,
  qualityCount: n,
  qualitySum: successes,
  qualitySumSq: successes,
  qualityBoolean: true,
})

import type { ObjectiveSettings } from './config.ts'
import { latencyPenalty } from './objective.ts'
import type { PosteriorSummary } from './types.ts'

/** z of "another target's quality is higher" at which a target counts as dominated (one-sided 99%). */
export const DOMINANCE_Z = 2.33
/**
 * Scored observations of its own a target needs on the route before it can count as dominated: a
 * prior shared with other routes can be narrow and wrong for this route (a route × target
 * interaction), and a dominated target is no longer explored to find out.
 */
export const DOMINANCE_MIN_EVIDENCE = 20

/**
 * Targets that are worse in both cost and quality than another target of the route, with
 * confidence: some j costs no more (cost estimates) and its quality is higher by DOMINANCE_Z
 * standard deviations of the difference. No objective prefers such a target while that holds, so
 * it needs neither a floor nor exploration; its share vanishes. Its evidence decays with the
 * discount, so once the difference is no longer certain it is not dominated any more and gets its
 * share of the floor back.
 */
export function dominatedTargets(posteriors: readonly PosteriorSummary[]): Set<string> {
  const out = new Set<string>()
  for (const i of posteriors) {
    if (i.evidence < DOMINANCE_MIN_EVIDENCE) continue
    for (const j of posteriors) {
      if (j === i || i.costUsd === null || j.costUsd === null || j.costUsd > i.costUsd) continue
      const sd = Math.sqrt(i.qualitySd ** 2 + j.qualitySd ** 2)
      if (sd > 0 && (j.qualityMean - i.qualityMean) / sd >= DOMINANCE_Z) {
        out.add(i.target)
        break
      }
    }
  }
  return out
}

/**
 * Under `utility`, targets whose utility at perfect quality (1) is still below another target's at
 * its quality's lower bound: no score can make them best at today's prices, so they need no
 * warm-up samples and no exploration. They keep their share of the route's floor: a price cut is
 * only seen on requests they serve.
 */
export function ruledOutByCost(posteriors: readonly PosteriorSummary[], objective: ObjectiveSettings): Set<string> {
  const out = new Set<string>()
  if (objective.kind === 'utility') {
    // Under `utility`, a target whose utility at perfect quality (1) is still below another's at its
    // quality's lower bound can never be best, whatever its scores say: its cost alone rules it out.
    const u = (p: PosteriorSummary, q: number) =>
      q -
      objective.costWeight * (p.costUsd ?? 0) -
      objective.latencyWeight * latencyPenalty(p.latencyP95Ms, objective.latencySloMs)
    const floor = Math.max(
      ...posteriors.filter((p) => p.costUsd !== null).map((p) => u(p, p.qualityMean - DOMINANCE_Z * p.qualitySd)),
    )
    for (const p of posteriors) if (p.costUsd !== null && u(p, 1) < floor) out.add(p.target)
  }
  return out
}

import type { ObjectiveSettings } from './config.ts'

/** One Monte-Carlo draw of a target: sampled quality, estimated cost and latency. */
export interface Candidate {
  quality: number
  costUsd: number
  latencyP95Ms: number | null
}

/** Relative excess of p95 over the SLO (0 when within it or unmeasured). */
export function latencyPenalty(latencyP95Ms: number | null, sloMs: number | undefined): number {
  if (sloMs === undefined || latencyP95Ms === null) return 0
  return Math.max(0, latencyP95Ms / sloMs - 1)
}

export function utility(c: Candidate, o: ObjectiveSettings): number {
  return c.quality - o.costWeight * c.costUsd - o.latencyWeight * latencyPenalty(c.latencyP95Ms, o.latencySloMs)
}

/**
 * Index of the best candidate under the objective. `floor`: among targets meeting the latency SLO
 * (all when none does), the cheapest whose quality clears the floor; none clears it → the best quality.
 */
export function bestIndex(cands: readonly Candidate[], o: ObjectiveSettings): number {
  if (o.kind === 'utility') {
    let best = 0
    let bestU = -Infinity
    cands.forEach((c, i) => {
      const u = utility(c, o)
      if (u > bestU) [best, bestU] = [i, u]
    })
    return best
  }
  let pool = cands.map((_, i) => i)
  if (o.latencySloMs !== undefined) {
    const fast = pool.filter((i) => latencyPenalty(cands[i]!.latencyP95Ms, o.latencySloMs) === 0)
    if (fast.length) pool = fast
  }
  let topQ = -Infinity
  let top = pool[0]!
  for (const i of pool) if (cands[i]!.quality > topQ) [top, topQ] = [i, cands[i]!.quality]
  const floor = Math.max(
    o.qualityFloor?.absolute ?? -Infinity,
    o.qualityFloor?.relative !== undefined ? o.qualityFloor.relative * topQ : -Infinity,
  )
  let cheapest = -1
  for (const i of pool) {
    if (cands[i]!.quality < floor) continue
    if (cheapest < 0 || cands[i]!.costUsd < cands[cheapest]!.costUsd) cheapest = i
  }
  return cheapest >= 0 ? cheapest : top
}

/** Which objective constraints a set of point estimates hits, in words (for the decision record). */
export function constraintsHit(names: readonly string[], cands: readonly Candidate[], o: ObjectiveSettings): string[] {
  const hits: string[] = []
  cands.forEach((c, i) => {
    if (latencyPenalty(c.latencyP95Ms, o.latencySloMs) > 0)
      hits.push(`${names[i]}: p95 ${Math.round(c.latencyP95Ms!)} ms over the ${o.latencySloMs} ms SLO`)
  })
  if (o.kind === 'floor' && o.qualityFloor) {
    const topQ = Math.max(...cands.map((c) => c.quality))
    const floor = Math.max(
      o.qualityFloor.absolute ?? -Infinity,
      o.qualityFloor.relative !== undefined ? o.qualityFloor.relative * topQ : -Infinity,
    )
    cands.forEach((c, i) => {
      if (c.quality < floor)
        hits.push(`${names[i]}: quality ${c.quality.toFixed(3)} under the floor ${floor.toFixed(3)}`)
    })
  }
  return hits
}

/** Sufficient statistics of quality evidence. */
export interface QualityStats {
  qCount: number
  qSum: number
  qSumSq: number
}

/**
 * Decides whether recent quality differs from the long-run estimate it is part of. For a recent
 * subset of n_r observations inside n_l, Var(mean_r − mean_l) = σ²·(1/n_r − 1/n_l), n_r taken as
 * the window's weight (conservative: an exponentially weighted window's effective size can be up to
 * twice that, but the formula only holds when the window is a small part of the long run).
 */
export function changeScore(recent: QualityStats, long: QualityStats, boolean: boolean): number {
  const nRecent = recent.qCount
  if (nRecent <= 0 || long.qCount <= nRecent) return 0
  const mr = recent.qSum / recent.qCount
  const ml = long.qSum / long.qCount
  const variance = boolean ? ml * (1 - ml) : Math.max(0, long.qSumSq / long.qCount - ml * ml)
  const se = Math.sqrt(Math.max(1e-4, variance) * (1 / nRecent - 1 / long.qCount))
  return (mr - ml) / se
}

/** Adds evidence and rescales so the effective count stays ≤ cap (an exponentially weighted window). */
export function addCapped(s: QualityStats, count: number, sum: number, sumSq: number, cap: number): void {
  s.qCount += count
  s.qSum += sum
  s.qSumSq += sumSq
  if (s.qCount > cap) {
    const k = cap / s.qCount
    s.qCount *= k
    s.qSum *= k
    s.qSumSq *= k
  }
}

/** Sufficient statistics of quality evidence. */
export interface QualityStats {
  qCount: number
  qSum: number
  qSumSq: number
  /** Sum of squared observation weights (set by `addCapped`): gives the effective sample size of a weighted window. */
  qW2?: number
}

/** Effective number of observations behind a weighted mean: (Σw)²/Σw² (an exponential window of cap C holds up to 2C). */
export const effectiveCount = (s: QualityStats) => (s.qW2 ? (s.qCount * s.qCount) / s.qW2 : s.qCount)

/**
 * Decides whether recent quality differs from the long-run estimate it is part of. For a recent
 * subset of n_r observations inside n_l, Var(mean_r − mean_l) = σ²·(1/n_r − 1/n_l). `nRecent`
 * defaults to the window's weight (conservative: its effective size can be up to twice that, but
 * the formula only holds when the window is a small part of the long run).
 */
export function changeScore(recent: QualityStats, long: QualityStats, boolean: boolean, nRecent = recent.qCount): number {
  if (recent.qCount <= 0 || long.qCount <= nRecent) return 0
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
  s.qW2 = (s.qW2 ?? 0) + count
  if (s.qCount > cap) {
    const k = cap / s.qCount
    s.qCount *= k
    s.qSum *= k
    s.qSumSq *= k
    s.qW2 *= k * k
  }
}

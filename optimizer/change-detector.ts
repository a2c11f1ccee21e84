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

/**
 * A one-sided CUSUM for a *drop* of quality (Page's test), per route × target: the sum of how far
 * each observation falls short of the long-run mean, less an allowance of half the smallest drop
 * it is tuned for (CUSUM_SHIFT_SD standard deviations), never below 0; `since` holds the
 * observations since it last was 0 — the estimate of what the target does after the change.
 * A windowed test must wait until the window is mostly made of new observations; this one adds up
 * evidence as it comes, so with 10% of requests scored a drop of 1 sd shows after ~30 scores
 * instead of ~90.
 */
export interface DropCusum {
  c: number
  since: QualityStats
}

/** The smallest drop the CUSUM is tuned for, in standard deviations of one score. */
export const CUSUM_SHIFT_SD = 1
/** Alarm threshold in standard deviations (h = 10σ: an in-control run length of ~10⁵ observations). */
export const CUSUM_THRESHOLD_SD = 10
const MIN_CUSUM_VARIANCE = 0.02

export const emptyCusum = (): DropCusum => ({ c: 0, since: { qCount: 0, qSum: 0, qSumSq: 0 } })

/** Adds one window's scores (count, sum, sum of squares) measured against the long run `long`. */
export function addToCusum(
  cusum: DropCusum,
  long: QualityStats,
  boolean: boolean,
  count: number,
  sum: number,
  sumSq: number,
): void {
  const sd = Math.sqrt(longVariance(long, boolean))
  // Against the long run's lower bound (2 standard errors), not its mean: the long run is itself an
  // estimate, and one that looks high is where the learner keeps sending traffic.
  const m = long.qSum / long.qCount - (2 * sd) / Math.sqrt(long.qCount)
  cusum.c = Math.max(0, cusum.c + (count * m - sum) - (count * CUSUM_SHIFT_SD * sd) / 2)
  if (cusum.c === 0) cusum.since = { qCount: 0, qSum: 0, qSumSq: 0 }
  else addCapped(cusum.since, count, sum, sumSq, Infinity)
}

/** True when the CUSUM says the quality dropped. */
export function cusumAlarm(cusum: DropCusum, long: QualityStats, boolean: boolean): boolean {
  return cusum.since.qCount > 0 && cusum.c > CUSUM_THRESHOLD_SD * Math.sqrt(longVariance(long, boolean))
}

function longVariance(long: QualityStats, boolean: boolean): number {
  const m = long.qSum / long.qCount
  return Math.max(MIN_CUSUM_VARIANCE, boolean ? m * (1 - m) : long.qSumSq / long.qCount - m * m)
}

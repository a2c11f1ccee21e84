import type { RouteTargetStats } from '../api/client.ts'

/** Mean quality pooled exactly over route × target rows (each mean weighted by its sample count). */
export function pooledQuality(stats: RouteTargetStats[]): number | null {
  let sum = 0
  let count = 0
  for (const s of stats) {
    if (s.quality_mean === null || s.quality_count === 0) continue
    sum += s.quality_mean * s.quality_count
    count += s.quality_count
  }
  return count === 0 ? null : sum / count
}

/**
 * The highest p95 latency among route × target rows. The API gives exact quantiles per row only, and
 * quantiles cannot be pooled, so the overview shows the worst one (and says so).
 */
export function worstP95(stats: RouteTargetStats[]): { p95: number; route: string; target: string } | null {
  let worst: { p95: number; route: string; target: string } | null = null
  for (const s of stats)
    if (s.latency_ms && (!worst || s.latency_ms.p95 > worst.p95))
      worst = { p95: s.latency_ms.p95, route: s.route, target: s.target }
  return worst
}

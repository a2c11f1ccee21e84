import type { QualityAggregate, RouteTargetStats } from '../../collector/client.ts'
import type { RouteStatsSource, StatsWindow } from '../stats-source.ts'

interface Bucket {
  requests: number
  errors: number
  latencies: number[]
  costTotal: number
  scores: { count: number; sum: number; sumSq: number; successes: number }
}

/** Exact quantile like the collector's (nearest rank on the sorted values). */
function quantile(sorted: number[], q: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))
  return sorted[i]!
}

/**
 * The replay's collector: requests are recorded as they are served, and `read` answers a window
 * with exactly the shape of `GET /api/route-stats` (quality only from scored requests, under the
 * score name `quality`), then forgets it. Windows must be read in order.
 */
export class MemoryStatsSource implements RouteStatsSource {
  private buckets = new Map<string, Bucket>()
  private pending: {
    atMs: number
    route: string
    target: string
    error: boolean
    latencyMs: number
    costUsd: number
    score: number | null
  }[] = []

  constructor(private readonly scoreKind: 'boolean' | 'numeric') {}

  record(r: {
    atMs: number
    route: string
    target: string
    error: boolean
    latencyMs: number
    costUsd: number
    score: number | null
  }): void {
    this.pending.push(r)
  }

  async read(window: StatsWindow): Promise<RouteTargetStats[]> {
    const keep: typeof this.pending = []
    this.buckets = new Map()
    for (const r of this.pending) {
      if (r.atMs >= window.toMs) {
        keep.push(r)
        continue
      }
      if (r.atMs < window.fromMs) continue
      const key = `${r.route}\u0000${r.target}`
      let b = this.buckets.get(key)
      if (!b)
        this.buckets.set(
          key,
          (b = {
            requests: 0,
            errors: 0,
            latencies: [],
            costTotal: 0,
            scores: { count: 0, sum: 0, sumSq: 0, successes: 0 },
          }),
        )
      b.requests += 1
      if (r.error) b.errors += 1
      b.latencies.push(r.latencyMs)
      b.costTotal += r.costUsd
      if (r.score !== null && !r.error) {
        b.scores.count += 1
        b.scores.sum += r.score
        b.scores.sumSq += r.score * r.score
        if (r.score >= 0.5) b.scores.successes += 1
      }
    }
    this.pending = keep
    return [...this.buckets].map(([key, b]) => this.toStats(key, b))
  }

  private toStats(key: string, b: Bucket): RouteTargetStats {
    const [route, target] = key.split('\u0000') as [string, string]
    const sorted = b.latencies.sort((x, y) => x - y)
    const s = b.scores
    const quality: Record<string, QualityAggregate> = {}
    if (s.count > 0) {
      const mean = s.sum / s.count
      quality.quality = {
        data_type: this.scoreKind,
        count: s.count,
        sum: s.sum,
        sum_sq: s.sumSq,
        mean,
        variance: Math.max(0, s.sumSq / s.count - mean * mean),
        successes: s.successes,
        trials: s.count,
      }
    }
    return {
      route,
      target,
      requests: b.requests,
      errors: b.errors,
      error_rate: b.errors / b.requests,
      latency_ms: sorted.length ? { p50: quantile(sorted, 0.5), p95: quantile(sorted, 0.95) } : null,
      ttft_ms: null,
      cost_mean_usd: (b.costTotal / b.requests).toFixed(12),
      cost_total_usd: b.costTotal.toFixed(12),
      quality_mean: s.count ? s.sum / s.count : null,
      quality_count: s.count,
      quality,
    }
  }
}

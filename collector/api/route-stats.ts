import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { CollectorDeps } from '../deps.ts'
import { routeQuality, routeTraffic } from '../queries/route-stats.ts'
import { num } from '../queries/run.ts'
import { TenantScope } from './caller.ts'
import { ApiError } from './errors.ts'
import { nowNs, parseTime, parseWindow, type TimeRange } from './time.ts'
import type { QualityAggregate, RouteStats, RouteTargetStats } from './types.ts'
import { jsonSchema, name, parse, time } from './validate.ts'

const query = z.object({
  window: z
    .string()
    .max(16)
    .default('5m')
    .describe('30s, 5m, 1h, 7d… ending at `to` (default now); ignored when `from` is given'),
  from: time.optional(),
  to: time.optional(),
  route: name().optional(),
  tenant: name().optional(),
  score: name(128)
    .optional()
    .describe('score name for quality_mean/quality_count; default: all numeric and boolean scores'),
})

function rangeOf(q: z.output<typeof query>): TimeRange {
  const toNs = q.to ? parseTime(q.to, 'to') : nowNs()
  const fromNs = q.from ? parseTime(q.from, 'from') : toNs - parseWindow(q.window)
  if (fromNs > toNs) throw new ApiError(400, 'invalid query field "from": must not be after "to"', 'from')
  return { fromNs, toNs }
}

const quantiles = (q: number[], n: number) => (n > 0 && q.length === 2 ? { p50: q[0]!, p95: q[1]! } : null)

/**
 * Per route × target over a window: traffic from raw billable spans (fast for the optimizer's
 * short windows) and quality from the scores created in the same window, which carry route/target.
 * Only trusted inputs drive routing: gateway columns exist only on spans of the gateway's trusted
 * ingest, and quality counts admin-posted scores (plus tenant feedback on opted-in routes).
 * Quantiles are exact (linear interpolation between order statistics).
 */
export async function routeStats(
  deps: CollectorDeps,
  scope: TenantScope,
  q: z.output<typeof query>,
): Promise<RouteStats> {
  const range = rangeOf(q)
  const window = { ...range, route: q.route }
  const [traffic, quality] = await Promise.all([
    routeTraffic(deps.store, scope, window),
    routeQuality(deps.store, scope, window, deps.settings.tenantFeedbackRoutes),
  ])
  const byKey = new Map<string, RouteTargetStats>()
  const entry = (route: string, target: string): RouteTargetStats => {
    const k = `${route}\u0000${target}`
    let e = byKey.get(k)
    if (!e) {
      e = {
        route,
        target,
        requests: 0,
        errors: 0,
        error_rate: 0,
        latency_ms: null,
        ttft_ms: null,
        cost_mean_usd: '0',
        cost_total_usd: '0',
        quality_mean: null,
        quality_count: 0,
        quality: {},
      }
      byKey.set(k, e)
    }
    return e
  }
  for (const r of traffic) {
    const e = entry(r.route, r.target)
    e.requests = num(r.n)
    e.errors = num(r.n_errors)
    e.error_rate = e.requests > 0 ? e.errors / e.requests : 0
    e.latency_ms = quantiles(r.lat, e.requests)
    e.ttft_ms = quantiles(r.ttft, num(r.n_ttft))
    e.cost_total_usd = r.cost_total
    e.cost_mean_usd = r.cost_mean
  }
  const pooled = new Map<RouteTargetStats, { n: number; sum: number }>()
  for (const r of quality) {
    const e = entry(r.route, r.target)
    const n = num(r.n)
    const mean = r.s / n
    const agg: QualityAggregate = {
      data_type: r.data_type,
      count: n,
      sum: r.s,
      sum_sq: r.ss,
      mean,
      variance: Math.max(0, r.ss / n - mean * mean),
      successes: r.data_type === 'boolean' ? num(r.succ) : 0,
      trials: r.data_type === 'boolean' ? n : 0,
    }
    const existing = e.quality[r.name]
    // A name used with both types is unusual; merge so counts stay true.
    e.quality[r.name] = existing ? mergeAggregates(existing, agg) : agg
    if (q.score === undefined || q.score === r.name) {
      const p = pooled.get(e) ?? { n: 0, sum: 0 }
      p.n += n
      p.sum += r.s
      pooled.set(e, p)
    }
  }
  for (const [e, p] of pooled) {
    e.quality_count = p.n
    e.quality_mean = p.n > 0 ? p.sum / p.n : null
  }
  const stats = [...byKey.values()].sort((a, b) =>
    a.route === b.route ? (a.target < b.target ? -1 : 1) : a.route < b.route ? -1 : 1,
  )
  return { from_ns: range.fromNs.toString(), to_ns: range.toNs.toString(), score: q.score ?? null, stats }
}

function mergeAggregates(a: QualityAggregate, b: QualityAggregate): QualityAggregate {
  const count = a.count + b.count
  const sum = a.sum + b.sum
  const sum_sq = a.sum_sq + b.sum_sq
  const mean = sum / count
  return {
    data_type: 'numeric',
    count,
    sum,
    sum_sq,
    mean,
    variance: Math.max(0, sum_sq / count - mean * mean),
    successes: a.successes + b.successes,
    trials: a.trials + b.trials,
  }
}

export function registerRouteStats(app: FastifyInstance, deps: CollectorDeps): void {
  app.get(
    '/route-stats',
    {
      schema: {
        summary: 'Per route × target over a window: traffic, errors, latency/TTFT quantiles, cost, quality aggregates',
        tags: ['routes'],
        querystring: jsonSchema(query),
      },
    },
    async (req) => {
      const q = parse(query, req.query, 'query')
      return routeStats(deps, TenantScope.of(req, q.tenant), q)
    },
  )
}

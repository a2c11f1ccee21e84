// Per route × target statistics over a window: traffic from raw billable spans (one per LLM
// call; fast for the optimizer's short windows) and quality from the scores created in it.
import type { Store } from '../storage/store.ts'
import { runQuery, type Params, type TenantFilter } from './run.ts'
import { latestScoresSql } from './scores.ts'

export interface TrafficRow {
  route: string
  target: string
  n: number | string
  n_errors: number | string
  lat: number[]
  ttft: number[]
  n_ttft: number | string
  cost_total: string
  cost_mean: string
}

export interface QualityRow {
  route: string
  target: string
  name: string
  data_type: 'numeric' | 'boolean'
  n: number | string
  s: number
  ss: number
  succ: number | string
}

export interface RouteWindow {
  fromNs: bigint
  toNs: bigint
  route?: string
}

function windowParams(scope: TenantFilter, w: RouteWindow): { params: Params; routeFilter: string } {
  const params: Params = { ...scope.params(), from: w.fromNs.toString(), to: w.toNs.toString() }
  if (w.route !== undefined) params.route = w.route
  return { params, routeFilter: w.route === undefined ? '' : 'AND route = {route:String}' }
}

/** Calls, errors, exact latency/TTFT quantiles and cost per route × target (gateway spans only: route != ''). */
export function routeTraffic(store: Store, scope: TenantFilter, w: RouteWindow): Promise<TrafficRow[]> {
  const { params, routeFilter } = windowParams(scope, w)
  return runQuery<TrafficRow>(
    store,
    'route_stats.traffic',
    `SELECT route, target, count() AS n, sum(is_error) AS n_errors,
        quantilesExactInclusive(0.5, 0.95)(Duration / 1e6) AS lat,
        quantilesExactInclusiveIf(0.5, 0.95)(ttft_ns / 1e6, ttft_ns > 0) AS ttft, countIf(ttft_ns > 0) AS n_ttft,
        toString(sum(cost_usd)) AS cost_total, toString(sum(toDecimal128(cost_usd, 12)) / count()) AS cost_mean
     FROM ${store.table('spans')}
     WHERE ${scope.where()} AND billable = 1 AND route != '' ${routeFilter}
       AND Timestamp >= fromUnixTimestamp64Nano({from:Int64}) AND Timestamp < fromUnixTimestamp64Nano({to:Int64})
     GROUP BY route, target ORDER BY route, target`,
    params,
  )
}

/**
 * Numeric and boolean score aggregates per route × target × name, of scores created in the window:
 * admin-posted ones, plus tenant feedback on the routes in `feedbackRoutes`.
 */
export function routeQuality(
  store: Store,
  scope: TenantFilter,
  w: RouteWindow,
  feedbackRoutes: string[],
): Promise<QualityRow[]> {
  const { params, routeFilter } = windowParams(scope, w)
  return runQuery<QualityRow>(
    store,
    'route_stats.quality',
    `SELECT latest.4 AS route, latest.5 AS target, latest.6 AS name, latest.9 AS data_type,
        count() AS n, sum(latest.10) AS s, sum(latest.10 * latest.10) AS ss, countIf(latest.10 >= 0.5) AS succ
     FROM (${latestScoresSql(
       store,
       `${scope.where()} AND route != '' ${routeFilter}
       AND created_at >= fromUnixTimestamp64Nano({from:Int64}) AND created_at < fromUnixTimestamp64Nano({to:Int64})`,
     )})
     WHERE latest.13 = 'ok' AND latest.9 IN ('numeric', 'boolean')
       AND (latest.14 = 'admin' OR latest.4 IN {feedback_routes:Array(String)})
     GROUP BY route, target, name, data_type`,
    { ...params, feedback_routes: feedbackRoutes },
  )
}

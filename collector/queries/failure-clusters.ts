import { PASS_THRESHOLD } from '../../lib/reason-template.ts'
import { latestScoresSql } from '../api/score-store.ts'
import type { Store } from '../storage/store.ts'

/** One scorer × exact reason: how many failing cases, when (counts per bucket) and its newest cases. */
export interface FailingReasonRow {
  name: string
  reason: string
  /** Cases where the scorer itself failed (status `failed`) rather than grading low. */
  n_failed: number | string
  n: number | string
  last_ns: string
  /** Bucket start (Unix seconds) → cases. */
  trend: [number[], Array<number | string>]
  /** Newest first: [−created ns, trace id, span id, session id, route, target, value]. */
  examples: Array<[string | number, string, string, string, string, string, number]>
}

export interface FailingReasonsFilter {
  /** SQL condition on the tenant column and its parameters (TenantScope). */
  tenantWhere: string
  tenantParams: Record<string, string>
  fromNs: bigint
  toNs: bigint
  bucketSeconds: number
  name?: string
  route?: string
  /** Distinct (scorer, reason) pairs read at most; templating merges them afterwards. */
  maxReasons: number
  examplesPerReason: number
}

/**
 * Failing scores (newest version of each; status `failed`, or a graded score below the pass
 * threshold) created in the range, grouped by scorer and exact reason, largest first.
 */
export async function failingReasons(store: Store, f: FailingReasonsFilter): Promise<FailingReasonRow[]> {
  const raw = [
    f.tenantWhere,
    'created_at >= fromUnixTimestamp64Nano({from:Int64})',
    'created_at <= fromUnixTimestamp64Nano({to:Int64})',
  ]
  const params: Record<string, unknown> = {
    ...f.tenantParams,
    from: f.fromNs.toString(),
    to: f.toNs.toString(),
    bucket: f.bucketSeconds,
    pass: PASS_THRESHOLD,
    max: f.maxReasons,
    examples: f.examplesPerReason,
  }
  if (f.name !== undefined) {
    raw.push('name = {name:String}')
    params.name = f.name
  }
  if (f.route !== undefined) {
    raw.push('route = {route:String}')
    params.route = f.route
  }
  const rs = await store.client.query({
    // A human score has a comment rather than a reason: that is what its failure says.
    query: `SELECT latest.6 AS name, if(latest.12 != '', latest.12, latest.15) AS reason, count() AS n, countIf(latest.13 = 'failed') AS n_failed,
        toString(toUnixTimestamp64Nano(max(created))) AS last_ns,
        sumMap([toUInt32(intDiv(toUnixTimestamp(created), {bucket:UInt32}) * {bucket:UInt32})], [toUInt64(1)]) AS trend,
        -- Bounded: the newest few cases per reason, however many there are.
        groupArraySorted({examples:UInt32})((-toUnixTimestamp64Nano(created), latest.1, latest.2, latest.3, latest.4, latest.5, latest.10)) AS examples
      FROM (${latestScoresSql(store, raw.join(' AND '))})
      WHERE created >= fromUnixTimestamp64Nano({from:Int64}) AND created <= fromUnixTimestamp64Nano({to:Int64})
        AND (latest.13 = 'failed' OR (latest.13 = 'ok' AND latest.9 IN ('numeric', 'boolean') AND latest.10 < {pass:Float64}))
      GROUP BY name, reason
      ORDER BY n DESC, name, reason
      LIMIT {max:UInt32}`,
    query_params: params,
    format: 'JSONEachRow',
    clickhouse_settings: { log_comment: 'scores.failing_reasons' },
  })
  return rs.json<FailingReasonRow>()
}

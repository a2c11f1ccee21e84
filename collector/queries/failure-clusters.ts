import { PASS_THRESHOLD, reasonTemplateSql } from '../../lib/reason-template.ts'
import type { Store } from '../storage/store.ts'
import { runQuery } from './run.ts'

/** One scorer × reason template: how many failing cases, when (counts per bucket) and its newest cases. */
export interface FailureClusterRow {
  name: string
  template: string
  n: number | string
  /** Cases where the scorer itself failed (status `failed`) rather than grading low. */
  n_failed: number | string
  /** Distinct exact reasons in the cluster. */
  reasons: number | string
  last_ns: string
  /** Bucket starts (Unix seconds) and their case counts. */
  trend: [number[], Array<number | string>]
  /** Newest first: [−created ns, trace id, span id, session id, route, target, value, exact reason]. */
  examples: Array<[string | number, string, string, string, string, string, number, string]>
}

export interface FailureClustersFilter {
  /** SQL condition on the tenant column and its parameters (TenantScope). */
  tenantWhere: string
  tenantParams: Record<string, string>
  fromNs: bigint
  toNs: bigint
  bucketSeconds: number
  name?: string
  route?: string
  limit: number
  examples: number
}

/**
 * Failing scores (newest version of each; status `failed`, or a graded score below the pass
 * threshold) created in the range, grouped by scorer and reason template, largest first. Exact
 * reasons are grouped first, so each distinct reason is templated once (lib/reason-template.ts).
 */
export async function failureClusters(
  store: Store,
  f: FailureClustersFilter,
): Promise<{ rows: FailureClusterRow[]; total: number }> {
  const raw = [
    f.tenantWhere,
    'created_at >= fromUnixTimestamp64Nano({from:Int64})',
    'created_at <= fromUnixTimestamp64Nano({to:Int64})',
  ]
  const template = reasonTemplateSql('reason')
  const params: Record<string, unknown> = {
    ...f.tenantParams,
    ...template.params,
    from: f.fromNs.toString(),
    to: f.toNs.toString(),
    bucket: f.bucketSeconds,
    pass: PASS_THRESHOLD,
    limit: f.limit,
    examples: f.examples,
  }
  if (f.name !== undefined) {
    raw.push('name = {name:String}')
    params.name = f.name
  }
  if (f.route !== undefined) {
    raw.push('route = {route:String}')
    params.route = f.route
  }
  const rows = await runQuery<FailureClusterRow & { total: number | string }>(
    store,
    'scores.failure_clusters',
    `SELECT name, template, sum(n) AS n, sum(n_failed) AS n_failed, count() AS reasons,
        toString(toUnixTimestamp64Nano(max(last))) AS last_ns,
        sumMap(trend.1, trend.2) AS trend,
        groupArraySortedArray({examples:UInt32})(examples) AS examples,
        sum(n) OVER () AS total
      FROM (
        SELECT name, reason, ${template.sql} AS template, count() AS n, countIf(status = 'failed') AS n_failed, max(created) AS last,
          sumMap([toUInt32(intDiv(toUnixTimestamp(created), {bucket:UInt32}) * {bucket:UInt32})], [toUInt64(1)]) AS trend,
          -- Bounded: the newest few cases, however many there are.
          groupArraySorted({examples:UInt32})((-toUnixTimestamp64Nano(created), trace_id, span_id, session_id, route, target, value, reason)) AS examples
        FROM (
         SELECT latest.1 AS name, latest.2 AS reason, latest.3 AS status, created, latest.6 AS trace_id, latest.7 AS span_id,
           latest.8 AS session_id, latest.9 AS route, latest.10 AS target, latest.5 AS value
         FROM (
          -- The newest version of each score, with only the columns clustering reads (the argMax of
          -- every column, as latestScoresSql does, costs several times more on many scores).
          SELECT tenant_id, score_id, max(created_at) AS created,
            -- A human score has a comment rather than a reason: that is what its failure says.
            argMax((name, if(reason != '', reason, comment), status, data_type, value, trace_id, span_id, session_id, route, target), created_at) AS latest
          FROM ${store.table('scores')} WHERE ${raw.join(' AND ')}
          GROUP BY tenant_id, score_id
          HAVING created >= fromUnixTimestamp64Nano({from:Int64}) AND created <= fromUnixTimestamp64Nano({to:Int64})
            AND (latest.3 = 'failed' OR (latest.3 = 'ok' AND latest.4 IN ('numeric', 'boolean') AND latest.5 < {pass:Float64}))
         )
        )
        GROUP BY name, reason
      )
      GROUP BY name, template
      ORDER BY n DESC, name, template
      LIMIT {limit:UInt32}`,
    params,
  )
  return { rows, total: rows.length ? Number(rows[0]!.total) : 0 }
}

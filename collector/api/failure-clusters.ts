import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import type { CollectorDeps } from '../deps.ts'
import { failureClusters, type FailureClusterRow } from '../queries/failure-clusters.ts'
import { num } from '../queries/run.ts'
import { TenantScope } from './caller.ts'
import { DAY_NS, timeRange } from './time.ts'
import type { FailureCluster, FailureClusterList } from './types.ts'
import { jsonSchema, limit, name, parse, time } from './validate.ts'

const query = z.object({
  from: time.optional().describe('default: 7 days before `to`'),
  to: time.optional().describe('default: now'),
  tenant: name().optional(),
  name: name(128).optional().describe('one scorer'),
  route: name().optional(),
  buckets: limit(200, 24).describe('trend points across the range (at most)'),
  limit: limit(500, 50).describe('clusters returned at most, largest first'),
})

const EXAMPLES = 5
const STEPS_S = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400]

/** The smallest round step that splits the range into at most `buckets` points. */
export function bucketSeconds(rangeNs: bigint, buckets: number): number {
  const want = Number(rangeNs / 1_000_000_000n) / buckets
  return STEPS_S.find((s) => s >= want) ?? Math.ceil(want / 86_400) * 86_400
}

/** Rows → clusters: the trend as counts per bucket of the range, examples with their times. */
export function toClusters(
  rows: FailureClusterRow[],
  firstBucket: number,
  step: number,
  points: number,
): FailureCluster[] {
  return rows.map((r) => {
    const trend = new Array<number>(points).fill(0)
    const [starts, counts] = r.trend
    starts.forEach((start, i) => {
      const at = Math.floor((start - firstBucket) / step)
      if (at >= 0 && at < points) trend[at]! += num(counts[i])
    })
    const failed = num(r.n_failed)
    return {
      name: r.name,
      template: r.template || (failed > 0 ? 'the scorer failed (no reason given)' : 'no reason given'),
      count: num(r.n),
      scorer_failed: failed,
      reasons: num(r.reasons),
      last_ns: r.last_ns,
      trend,
      examples: r.examples.map(([minusCreatedNs, trace_id, span_id, session_id, route, target, value, reason]) => ({
        created_ns: (-BigInt(minusCreatedNs)).toString(),
        trace_id,
        span_id,
        session_id,
        route,
        target,
        value: Number(value),
        reason,
      })),
    }
  })
}

export function registerFailureClusters(app: FastifyInstance, deps: CollectorDeps): void {
  app.get(
    '/failure-clusters',
    {
      schema: {
        summary:
          'Failing scores grouped by scorer and reason template (numbers, ids, times and quoted values abstracted), with counts, a trend and the newest example cases',
        tags: ['scores'],
        querystring: jsonSchema(query),
      },
    },
    async (req): Promise<FailureClusterList> => {
      const q = parse(query, req.query, 'query')
      const range = timeRange(q, 7n * DAY_NS)
      const scope = TenantScope.of(req, q.tenant)
      const step = bucketSeconds(range.toNs - range.fromNs, q.buckets)
      const firstBucket = Math.floor(Number(range.fromNs / 1_000_000_000n) / step) * step
      const lastBucket = Math.floor(Number(range.toNs / 1_000_000_000n) / step) * step
      const points = (lastBucket - firstBucket) / step + 1
      const { rows, total } = await failureClusters(deps.store, {
        tenantWhere: scope.where(),
        tenantParams: scope.params(),
        fromNs: range.fromNs,
        toNs: range.toNs,
        bucketSeconds: step,
        name: q.name,
        route: q.route,
        limit: q.limit,
        examples: EXAMPLES,
      })
      return {
        bucket_seconds: step,
        trend_start: new Date(firstBucket * 1000).toISOString(),
        total,
        clusters: toClusters(rows, firstBucket, step, points),
      }
    },
  )
}

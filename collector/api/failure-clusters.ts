import type { FastifyInstance } from 'fastify'
import { z } from 'zod'
import { reasonTemplate } from '../../lib/reason-template.ts'
import type { CollectorDeps } from '../deps.ts'
import { failingReasons, type FailingReasonRow } from '../queries/failure-clusters.ts'
import { TenantScope } from './caller.ts'
import { num } from './sql.ts'
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

const MAX_REASONS = 20_000
const EXAMPLES = 5
const STEPS_S = [60, 300, 900, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86_400, 7 * 86_400]

/** The smallest round step that splits the range into at most `buckets` points. */
export function bucketSeconds(rangeNs: bigint, buckets: number): number {
  const want = Number(rangeNs / 1_000_000_000n) / buckets
  return STEPS_S.find((s) => s >= want) ?? Math.ceil(want / 86_400) * 86_400
}

/** Exact reasons → clusters by (scorer, template), with counts summed, trends merged and the newest examples kept. */
export function clusterReasons(
  rows: FailingReasonRow[],
  firstBucket: number,
  step: number,
  points: number,
): FailureCluster[] {
  const clusters = new Map<string, FailureCluster>()
  for (const r of rows) {
    const template =
      reasonTemplate(r.reason) || (num(r.n_failed) > 0 ? 'the scorer failed (no reason given)' : 'no reason given')
    const key = `${r.name}\u0000${template}`
    let c = clusters.get(key)
    if (!c) {
      c = {
        name: r.name,
        template,
        count: 0,
        scorer_failed: 0,
        reasons: 0,
        last_ns: '0',
        trend: new Array<number>(points).fill(0),
        examples: [],
      }
      clusters.set(key, c)
    }
    c.count += num(r.n)
    c.scorer_failed += num(r.n_failed)
    c.reasons++
    if (BigInt(r.last_ns) > BigInt(c.last_ns)) c.last_ns = r.last_ns
    const [starts, counts] = r.trend
    starts.forEach((start, i) => {
      const at = Math.floor((start - firstBucket) / step)
      if (at >= 0 && at < points) c.trend[at]! += num(counts[i])
    })
    for (const [minusCreatedNs, trace_id, span_id, session_id, route, target, value] of r.examples) {
      c.examples.push({
        created_ns: (-BigInt(minusCreatedNs)).toString(),
        trace_id,
        span_id,
        session_id,
        route,
        target,
        value: Number(value),
        reason: r.reason,
      })
    }
  }
  const out = [...clusters.values()]
  for (const c of out)
    c.examples = c.examples.sort((a, b) => (BigInt(b.created_ns) > BigInt(a.created_ns) ? 1 : -1)).slice(0, EXAMPLES)
  return out.sort((a, b) => b.count - a.count || a.name.localeCompare(b.name) || a.template.localeCompare(b.template))
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
      const rows = await failingReasons(deps.store, {
        tenantWhere: scope.where(),
        tenantParams: scope.params(),
        fromNs: range.fromNs,
        toNs: range.toNs,
        bucketSeconds: step,
        name: q.name,
        route: q.route,
        maxReasons: MAX_REASONS,
        examplesPerReason: EXAMPLES,
      })
      const clusters = clusterReasons(rows, firstBucket, step, points)
      return {
        bucket_seconds: step,
        trend_start: new Date(firstBucket * 1000).toISOString(),
        truncated: rows.length >= MAX_REASONS,
        total: clusters.reduce((n, c) => n + c.count, 0),
        clusters: clusters.slice(0, q.limit),
      }
    },
  )
}

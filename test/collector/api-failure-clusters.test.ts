import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { hex, nsAgo, startApiHarness, type ApiHarness } from '../helpers/api-fixtures.ts'
import { spanRow } from '../helpers/span-row.ts'
import { reasonTemplateSql } from '../../lib/reason-template.ts'
import { REASON_TEMPLATE_CASES } from './fixtures/reason-templates.ts'

// GET /api/failure-clusters: failing scores grouped by scorer and reason template, per tenant.
let h: ApiHarness
const acme = Array.from({ length: 6 }, () => ({ TraceId: hex(16), SpanId: hex(8) }))
const globex = { TraceId: hex(16), SpanId: hex(8) }

beforeAll(async () => {
  h = await startApiHarness()
  await h.insertSpans([
    ...acme.map((ids, i) =>
      spanRow({ tenant_id: 'acme', ...ids, route: 'chat', target: 'a', Timestamp: nsAgo(60_000 + i).toString() }),
    ),
    spanRow({ tenant_id: 'globex', ...globex, route: 'chat', target: 'a', Timestamp: nsAgo(60_000).toString() }),
  ])
  const score = (i: number, name: string, value: number, reason: string, status: 'ok' | 'failed' = 'ok') => ({
    tenant_id: 'acme',
    trace_id: acme[i]!.TraceId,
    span_id: acme[i]!.SpanId,
    name,
    value,
    reason,
    status,
    source: 'evaluator' as const,
  })
  await h.admin.postScores([
    score(0, 'reference', 0, 'numeric: 61 vs expected 60'),
    score(1, 'reference', 0, 'numeric: 7 vs expected 9'),
    score(2, 'reference', 0, 'numeric: 0.25 vs expected 0.5'),
    score(3, 'reference', 1, 'numeric: 60 vs expected 60'), // passing: not a failure
    score(3, 'heuristics.error', 0, 'the call failed: error type "RateLimitError", HTTP 429'),
    score(4, 'heuristics.error', 0, 'the call failed: error type "Timeout", HTTP 504'),
    score(5, 'judge', 0, 'judge call timed out after 30000 ms', 'failed'),
    {
      tenant_id: 'globex',
      trace_id: globex.TraceId,
      span_id: globex.SpanId,
      name: 'reference',
      value: 0,
      reason: 'numeric: 1 vs expected 2',
      source: 'evaluator' as const,
    },
  ])
}, 120_000)

afterAll(async () => h?.close())

describe('reason templates in ClickHouse', () => {
  it('are the same as in JavaScript (one set of rules, lib/reason-template.ts)', async () => {
    const { sql, params } = reasonTemplateSql('reason')
    const rs = await h.db.query({
      query: `SELECT ${sql} AS template FROM (SELECT arrayJoin({cases:Array(String)}) AS reason)`,
      query_params: { ...params, cases: REASON_TEMPLATE_CASES.map(([reason]) => reason) },
      format: 'JSONEachRow',
    })
    const templates = (await rs.json<{ template: string }>()).map((r) => r.template)
    expect(templates).toEqual(REASON_TEMPLATE_CASES.map(([, template]) => template))
  })
})

describe('GET /api/failure-clusters', () => {
  it('groups failing cases by scorer and template, with counts, a trend and example traces', async () => {
    const res = await h.tenant('acme').failureClusters({ from: new Date(Date.now() - 24 * 3_600_000).toISOString() })
    expect(res.bucket_seconds).toBe(3600)
    expect(res.total).toBe(6)
    expect(res.clusters.map((c) => [c.name, c.template, c.count, c.reasons, c.scorer_failed])).toEqual([
      ['reference', 'numeric: <n> vs expected <n>', 3, 3, 0],
      ['heuristics.error', 'the call failed: error type "<v>", HTTP <n>', 2, 2, 0],
      ['judge', 'judge call timed out after <n> ms', 1, 1, 1],
    ])
    const reference = res.clusters[0]!
    expect(reference.trend.reduce((a, b) => a + b, 0)).toBe(3)
    expect(reference.trend.at(-1)).toBe(3)
    expect(reference.examples.map((e) => e.trace_id).sort()).toEqual(
      [acme[0]!.TraceId, acme[1]!.TraceId, acme[2]!.TraceId].sort(),
    )
    expect(reference.examples[0]).toMatchObject({ route: 'chat', target: 'a', value: 0 })
  })

  it('keeps tenants apart and filters by scorer', async () => {
    const globexView = await h.tenant('globex').failureClusters()
    expect(globexView.clusters.map((c) => [c.name, c.count])).toEqual([['reference', 1]])
    const all = await h.admin.failureClusters({ name: 'reference' })
    expect(all.clusters.map((c) => c.count)).toEqual([4])
    await expect(h.tenant('acme').failureClusters({ tenant: 'globex' })).rejects.toMatchObject({ status: 403 })
    await expect(h.tenant('acme').failureClusters({ from: 'yesterday' })).rejects.toMatchObject({ status: 400 })
  })
})

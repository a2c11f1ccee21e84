import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json } from '../helpers/http.ts'
import { hex, nsAgo, startApiHarness, type ApiHarness } from '../helpers/api-fixtures.ts'
import { spanRow } from '../helpers/span-row.ts'

let h: ApiHarness
const ms = (n: number) => BigInt(Math.round(n * 1e6)).toString()
const traces = Array.from({ length: 4 }, () => hex(16))
const spans = Array.from({ length: 4 }, () => hex(8))
const globex = { TraceId: hex(16), SpanId: hex(8) }

beforeAll(async () => {
  h = await startApiHarness()
  const recent = (i: number) => nsAgo(10_000 + i * 1000).toString()
  await h.insertSpans([
    // route chat / target a: latencies 10, 20, 30, 40 ms; one error; ttft on two.
    ...[10, 20, 30, 40].map((lat, i) =>
      spanRow({
        tenant_id: 'acme',
        route: 'chat',
        target: 'a',
        TraceId: traces[i]!,
        SpanId: spans[i]!,
        Timestamp: recent(i),
        Duration: ms(lat),
        cost_usd: ['0.1', '0.2', '0.3', '0.000000000001'][i]!,
        is_error: i === 3 ? 1 : 0,
        ttft_ns: i < 2 ? ms(5 * (i + 1)) : '0',
      }),
    ),
    spanRow({ tenant_id: 'acme', route: 'chat', target: 'b', Timestamp: recent(5), Duration: ms(100), cost_usd: '1' }),
    // Not counted: non-billable attempt, no route, outside the window, other tenant.
    spanRow({ tenant_id: 'acme', route: 'chat', target: 'a', billable: 0, Timestamp: recent(6), Duration: ms(9999) }),
    spanRow({ tenant_id: 'acme', route: '', target: '', Timestamp: recent(7) }),
    spanRow({
      tenant_id: 'acme',
      route: 'chat',
      target: 'a',
      Timestamp: nsAgo(3 * 3_600_000).toString(),
      Duration: ms(9999),
    }),
    spanRow({
      tenant_id: 'globex',
      route: 'chat',
      target: 'a',
      ...globex,
      Timestamp: recent(8),
      Duration: ms(5000),
      cost_usd: '7',
    }),
  ])
  // Quality: boolean "correct" 1,1,0 and numeric "judge" 0.5, 1.0 on chat/a; a failed score and a comment are ignored.
  await h.admin.postScores([
    {
      tenant_id: 'acme',
      trace_id: traces[0],
      span_id: spans[0],
      route: 'chat',
      target: 'a',
      name: 'correct',
      value: true,
      source: 'evaluator',
    },
    {
      tenant_id: 'acme',
      trace_id: traces[1],
      span_id: spans[1],
      route: 'chat',
      target: 'a',
      name: 'correct',
      value: true,
      source: 'evaluator',
    },
    {
      tenant_id: 'acme',
      trace_id: traces[2],
      span_id: spans[2],
      route: 'chat',
      target: 'a',
      name: 'correct',
      value: false,
      source: 'evaluator',
    },
    {
      tenant_id: 'acme',
      trace_id: traces[0],
      span_id: spans[0],
      route: 'chat',
      target: 'a',
      name: 'judge',
      value: 0.5,
      source: 'evaluator',
    },
    {
      tenant_id: 'acme',
      trace_id: traces[1],
      span_id: spans[1],
      route: 'chat',
      target: 'a',
      name: 'judge',
      value: 1,
      source: 'evaluator',
    },
    {
      tenant_id: 'acme',
      trace_id: traces[3],
      span_id: spans[3],
      route: 'chat',
      target: 'a',
      name: 'judge',
      value: 0,
      status: 'failed',
      reason: 'timeout',
      source: 'evaluator',
    },
    {
      tenant_id: 'acme',
      trace_id: traces[3],
      span_id: spans[3],
      route: 'chat',
      target: 'a',
      name: 'note',
      comment: 'meh',
    },
    // A score's route and target are its span's (a trace of another tenant cannot be scored).
    { tenant_id: 'globex', trace_id: globex.TraceId, span_id: globex.SpanId, name: 'correct', value: false },
  ])
  // Re-sending an evaluator score (same deterministic id) with a new value replaces it.
  await h.admin.postScores({
    tenant_id: 'acme',
    trace_id: traces[2],
    span_id: spans[2],
    route: 'chat',
    target: 'a',
    name: 'correct',
    value: true,
    source: 'evaluator',
  })
}, 120_000)

afterAll(async () => h?.close())

describe('GET /api/route-stats', () => {
  it('computes traffic, quantiles, cost and quality per route × target', async () => {
    const r = await h.tenant('acme').routeStats({ window: '1h' })
    expect(r.stats.map((s) => [s.route, s.target])).toEqual([
      ['chat', 'a'],
      ['chat', 'b'],
    ])
    const a = r.stats[0]!
    expect(a).toMatchObject({
      requests: 4,
      errors: 1,
      error_rate: 0.25,
      cost_total_usd: '0.600000000001',
      cost_mean_usd: '0.15',
    })
    // Exact quantiles with linear interpolation: p50 of 10..40 = 25, p95 = 30 + 0.85·10.
    expect(a.latency_ms!.p50).toBeCloseTo(25, 9)
    expect(a.latency_ms!.p95).toBeCloseTo(38.5, 9)
    expect(a.ttft_ms!.p50).toBeCloseTo(7.5, 9)
    expect(a.ttft_ms!.p95).toBeCloseTo(9.75, 9)
    expect(a.quality.correct).toEqual({
      data_type: 'boolean',
      count: 3,
      sum: 3,
      sum_sq: 3,
      mean: 1,
      variance: 0,
      successes: 3,
      trials: 3,
    })
    expect(a.quality.judge).toMatchObject({
      data_type: 'numeric',
      count: 2,
      sum: 1.5,
      sum_sq: 1.25,
      mean: 0.75,
      successes: 0,
      trials: 0,
    })
    expect(a.quality.judge!.variance).toBeCloseTo(0.0625, 12)
    expect(a.quality.note).toBeUndefined()
    expect(a.quality_count).toBe(5)
    expect(a.quality_mean).toBeCloseTo(4.5 / 5, 12)
    const b = r.stats[1]!
    expect(b).toMatchObject({
      requests: 1,
      errors: 0,
      cost_mean_usd: '1',
      ttft_ms: null,
      quality_mean: null,
      quality_count: 0,
    })
  })

  it('narrows to one score name, one route and a window', async () => {
    const judge = await h.tenant('acme').routeStats({ window: '1h', score: 'judge', route: 'chat' })
    expect(judge.score).toBe('judge')
    expect(judge.stats[0]).toMatchObject({ quality_mean: 0.75, quality_count: 2 })
    const none = await h.tenant('acme').routeStats({ window: '1h', route: 'other' })
    expect(none.stats).toEqual([])
    const wide = await h.tenant('acme').routeStats({ window: '4h' })
    expect(wide.stats[0]!.requests).toBe(5)
    const short = await h.tenant('acme').routeStats({ window: '1s', to: new Date(Date.now() - 120_000).toISOString() })
    expect(short.stats).toEqual([])
  })

  it('keeps tenants apart; the admin sees all', async () => {
    const g = await h.tenant('globex').routeStats({ window: '1h' })
    expect(g.stats).toHaveLength(1)
    expect(g.stats[0]).toMatchObject({ requests: 1, cost_total_usd: '7', quality_count: 1, quality_mean: 0 })
    const all = await h.admin.routeStats({ window: '1h' })
    expect(all.stats[0]).toMatchObject({ route: 'chat', target: 'a', requests: 5 })
  })

  it('refuses a bad window', async () => {
    for (const w of ['5', '5 minutes', '0s', '999999d']) {
      const res = await h.raw(`/api/route-stats?window=${encodeURIComponent(w)}`, { token: 'acme-read' })
      expect(res.status, w).toBe(400)
      expect((await json(res)).error.field).toBe('window')
    }
  })
})

describe('routing decisions', () => {
  it('round-trips decisions newest first, admin only', async () => {
    const first = await h.admin.postDecision({
      route: 'chat',
      from_version: 'v1',
      to_version: 'v2',
      old_weights: { a: 0.5, b: 0.5 },
      new_weights: { a: 0.7, b: 0.3 },
      applied: true,
      reason: 'a is better',
      inputs: { stats: [{ target: 'a', mean: 0.9 }] },
    })
    await new Promise((r) => setTimeout(r, 5))
    const second = await h.admin.postDecision({
      decision_id: 'd-2',
      route: 'chat',
      old_weights: { a: 0.7, b: 0.3 },
      new_weights: { a: 0.7, b: 0.3 },
      applied: false,
      dry_run: true,
      reason: 'no change',
    })
    await h.admin.postDecision({
      route: 'other',
      old_weights: {},
      new_weights: { x: 1 },
      applied: true,
      reason: 'init',
    })
    // The same decision id twice is one decision.
    await h.admin.postDecision({
      decision_id: 'd-2',
      route: 'chat',
      old_weights: { a: 0.7, b: 0.3 },
      new_weights: { a: 0.7, b: 0.3 },
      applied: false,
      dry_run: true,
      reason: 'no change',
    })
    const { decisions } = await h.admin.listDecisions({ route: 'chat' })
    expect(decisions.map((d) => d.decision_id)).toEqual(['d-2', first.decision_id])
    expect(decisions[1]).toEqual({ ...first, inputs: { stats: [{ target: 'a', mean: 0.9 }] } })
    expect(decisions[0]).toMatchObject({ applied: false, dry_run: true, from_version: '', inputs: null })
    expect(second.decision_id).toBe('d-2')
    expect((await h.admin.listDecisions({ limit: 1 })).decisions).toHaveLength(1)
    await expect(h.tenant('acme').listDecisions()).rejects.toMatchObject({ status: 403 })
    await expect(
      h.tenant('acme').postDecision({ route: 'chat', old_weights: {}, new_weights: {}, applied: true, reason: 'x' }),
    ).rejects.toMatchObject({ status: 403 })
    await expect(
      h.admin.postDecision({ route: 'chat', old_weights: { a: -1 }, new_weights: {}, applied: true, reason: 'x' }),
    ).rejects.toMatchObject({ status: 400, field: 'old_weights.a' })
  })
})

import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RouteTargetStats, Span } from '../../collector/api/types.ts'
import { CollectorApiError } from '../../collector/client.ts'
import {
  OTHER_ROUTE,
  ROUTE,
  TARGET,
  hex,
  ingestKey,
  llmSpanRequest,
  postOtlp,
  startStack,
  type Stack,
  type TenantId,
} from './stack.ts'

/**
 * Scores are bound to what they score, and the route statistics that drive routing count only
 * trusted sources. Real gateway → real collector; the optimizer's view is the admin's route stats.
 */
let stack: Stack
const BETA_CALLS = 10
const betaSpans: Span[] = []
let alphaSpan: Span

const requestSpans = async (tenant: TenantId, traceId: string) =>
  (await stack.reader(tenant).getTrace(traceId)).roots.filter((s) => s.attributes['loopgate.span'] === 'request')

beforeAll(async () => {
  stack = await startStack()
  const traces: string[] = []
  for (let i = 0; i < BETA_CALLS; i++) {
    const traceId = hex(16)
    traces.push(traceId)
    await stack.chat('beta', { traceId })
  }
  const alphaTrace = hex(16)
  await stack.chat('alpha', { traceId: alphaTrace, route: OTHER_ROUTE })
  await stack.flush()
  for (const t of traces) betaSpans.push(...(await requestSpans('beta', t)))
  alphaSpan = (await requestSpans('alpha', alphaTrace))[0]!
  // The evaluator's scores (admin token): quality 0.99 on beta's traffic.
  await stack.admin.postScores(
    betaSpans.map((s) => ({
      tenant_id: 'beta',
      trace_id: s.trace_id,
      span_id: s.span_id,
      route: s.route,
      target: s.target,
      name: 'quality',
      value: 0.99,
      source: 'evaluator' as const,
    })),
  )
}, 120_000)
afterAll(async () => stack?.close())

/** What the optimizer reads: the admin's pooled route statistics. */
const optimizerView = async (): Promise<RouteTargetStats> => {
  const stats = await stack.admin.routeStats({ window: '1h', route: ROUTE })
  return stats.stats.find((s) => s.target === TARGET)!
}
const refused = (p: Promise<unknown>) =>
  p.then(
    () => 0,
    (e: unknown) => (e instanceof CollectorApiError ? e.status : -1),
  )

describe('scores are bound to what they score', () => {
  it("a tenant key naming another tenant's route and target cannot move the pooled quality", async () => {
    expect(betaSpans).toHaveLength(BETA_CALLS)
    expect(alphaSpan.route).toBe(OTHER_ROUTE)
    const before = await optimizerView()
    expect(before).toMatchObject({ quality_count: BETA_CALLS })
    expect(before.quality_mean).toBeCloseTo(0.99, 12)
    const attack = Array.from({ length: 300 }, () => ({
      trace_id: alphaSpan.trace_id,
      span_id: alphaSpan.span_id,
      route: ROUTE,
      target: TARGET,
      name: 'quality',
      value: 0,
    }))
    await refused(stack.reader('alpha').postScores(attack))
    const trace = Array.from({ length: 300 }, () => ({
      trace_id: alphaSpan.trace_id,
      route: ROUTE,
      target: TARGET,
      name: 'quality',
      value: 0,
    }))
    await refused(stack.reader('alpha').postScores(trace))
    const after = await optimizerView()
    expect({ mean: after.quality_mean, count: after.quality_count }).toEqual({
      mean: before.quality_mean,
      count: before.quality_count,
    })
    // Whatever alpha stored names only its own span's route.
    const stored = (await stack.reader('alpha').listScores({ limit: 10_000 })).scores
    expect(stored.filter((s) => s.route === ROUTE || s.target === TARGET)).toEqual([])
  })

  it('takes tenant, route and target from the scored span: a mismatching body is refused, a bare one is filled', async () => {
    const s = betaSpans[0]!
    // Admin naming the wrong tenant for beta's span: the span does not exist for that tenant.
    expect(
      await refused(
        stack.admin.postScores({
          tenant_id: 'gamma',
          trace_id: s.trace_id,
          span_id: s.span_id,
          name: 'q2',
          value: 0,
          source: 'evaluator',
        }),
      ),
    ).toBe(404)
    // A route or target that is not the span's.
    expect(
      await refused(
        stack.admin.postScores({
          tenant_id: 'beta',
          trace_id: s.trace_id,
          span_id: s.span_id,
          route: OTHER_ROUTE,
          name: 'q2',
          value: 0,
        }),
      ),
    ).toBe(400)
    expect(
      await refused(
        stack.admin.postScores({
          tenant_id: 'beta',
          trace_id: s.trace_id,
          span_id: s.span_id,
          target: 'sim/other',
          name: 'q2',
          value: 0,
        }),
      ),
    ).toBe(400)
    // Without route/target, they come from the span.
    const ok = await stack.admin.postScores({
      tenant_id: 'beta',
      trace_id: s.trace_id,
      span_id: s.span_id,
      name: 'q3',
      value: 1,
      source: 'evaluator',
    })
    expect(ok.scores[0]).toMatchObject({ tenant_id: 'beta', route: ROUTE, target: TARGET })
    // Another tenant's span is never found with a tenant key.
    expect(
      await refused(
        stack.reader('alpha').postScores({ trace_id: s.trace_id, span_id: s.span_id, name: 'q2', value: 0 }),
      ),
    ).toBe(404)
  })

  it("route quality counts only trusted scores: a tenant's feedback on its own gateway span does not move it", async () => {
    const s = betaSpans[1]!
    const before = await optimizerView()
    const own = Array.from({ length: 50 }, () => ({
      trace_id: s.trace_id,
      span_id: s.span_id,
      name: 'quality',
      value: 0,
      source: 'human' as const,
    }))
    const stored = await stack.reader('beta').postScores(own)
    expect(stored.scores[0]).toMatchObject({ tenant_id: 'beta', route: ROUTE, target: TARGET })
    const after = await optimizerView()
    expect({ mean: after.quality_mean, count: after.quality_count }).toEqual({
      mean: before.quality_mean,
      count: before.quality_count,
    })
    // The tenant still sees its feedback.
    expect(
      (await stack.reader('beta').listScores({ trace_id: s.trace_id, name: 'quality', source: 'human' })).scores,
    ).toHaveLength(50)
    // A tenant key may not pose as the evaluator.
    expect(
      await refused(
        stack
          .reader('beta')
          .postScores({ trace_id: s.trace_id, span_id: s.span_id, name: 'quality', value: 0, source: 'evaluator' }),
      ),
    ).toBe(403)
  })
})

describe('tenant-ingested spans never count as gateway attempts', () => {
  it('spans naming loopgate.route from an ingest key or from loopback leave route statistics alone', async () => {
    const before = await optimizerView()
    const spans = (n: number) => ({
      resourceSpans: Array.from(
        { length: n },
        () =>
          llmSpanRequest({
            traceId: hex(16),
            tokens: 10,
            error: true,
            attributes: { 'loopgate.route': ROUTE, 'loopgate.target': TARGET, 'loopgate.span': 'request' },
          }).resourceSpans,
      ).flat(),
    })
    expect((await postOtlp(stack, spans(25), ingestKey('alpha'))).status).toBe(200)
    expect((await postOtlp(stack, spans(25))).status).toBe(200)
    const after = await optimizerView()
    expect({ requests: after.requests, errors: after.errors }).toEqual({
      requests: before.requests,
      errors: before.errors,
    })
    expect(after.requests).toBe(BETA_CALLS)
  })
})

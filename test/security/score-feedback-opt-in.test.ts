import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Span } from '../../collector/api/types.ts'
import { OTHER_ROUTE, ROUTE, hex, startStack, type Stack } from './stack.ts'

/**
 * A route may opt in to tenant feedback (`collector.tenantFeedbackRoutes`): then a tenant's own
 * scores on its own gateway spans count in that route's quality; on other routes they never do.
 */
let stack: Stack
const spans: Record<string, Span> = {}

beforeAll(async () => {
  stack = await startStack({ collector: { tenantFeedbackRoutes: [OTHER_ROUTE] } })
  for (const route of [ROUTE, OTHER_ROUTE]) {
    const traceId = hex(16)
    await stack.chat('alpha', { traceId, route })
    await stack.flush()
    spans[route] = (await stack.reader('alpha').getTrace(traceId)).roots.find(
      (s) => s.attributes['loopgate.span'] === 'request',
    )!
  }
}, 120_000)
afterAll(async () => stack?.close())

const quality = async (route: string) => {
  const s = (await stack.admin.routeStats({ window: '1h', route })).stats[0]!
  return { count: s.quality_count, mean: s.quality_mean }
}

describe('tenant feedback opt-in per route', () => {
  it("counts a tenant's feedback only on the routes that opted in", async () => {
    for (const route of [ROUTE, OTHER_ROUTE]) {
      const s = spans[route]!
      await stack.reader('alpha').postScores(
        [0, 1, 1, 1].map((value) => ({
          trace_id: s.trace_id,
          span_id: s.span_id,
          name: 'thumbs',
          value,
          source: 'human' as const,
        })),
      )
    }
    expect(await quality(OTHER_ROUTE)).toEqual({ count: 4, mean: 0.75 })
    expect(await quality(ROUTE)).toEqual({ count: 0, mean: null })
    // The admin's (trusted) feedback counts everywhere.
    const s = spans[ROUTE]!
    await stack.admin.postScores({
      tenant_id: 'alpha',
      trace_id: s.trace_id,
      span_id: s.span_id,
      name: 'thumbs',
      value: 1,
      source: 'human',
    })
    expect(await quality(ROUTE)).toEqual({ count: 1, mean: 1 })
  })
})

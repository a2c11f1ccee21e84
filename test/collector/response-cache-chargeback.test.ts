import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Trace } from '../../collector/api/types.ts'
import { CollectorClient } from '../../collector/client.ts'
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.ts'
import { scaled } from '../helpers/decimal.ts'
import { OTHER_KEY, eventually, jsonHeaders, post, startHarness, type Harness } from '../gateway/harness.ts'

/**
 * Gateway → OTLP → collector → chargeback: a cache hit arrives as a billable request span with
 * zero cost and the cost it saved, and chargeback (JSON and CSV) shows hits and saved cost per
 * tenant and route, exactly.
 */
let collector: TestCollector
let h: Harness
let admin: CollectorClient
beforeAll(async () => {
  collector = await startTestCollector()
  admin = new CollectorClient({ baseUrl: collector.url, token: ADMIN_TOKEN })
  h = await startHarness({
    exportToken: ADMIN_TOKEN,
    gateway: () => ({
      routes: [
        {
          name: 'chat',
          targets: [{ provider: 'sim', model: 'sim-small', price: { input: '0.15', output: '0.6' } }],
          cache: { ttlSeconds: 300 },
        },
        { name: 'plain', targets: [{ provider: 'sim', model: 'sim-small', price: { input: '0.15', output: '0.6' } }] },
      ],
      telemetry: { enabled: true, collectorUrl: collector.url, scheduledDelayMs: 50 },
    }),
  })
}, 60_000)
afterAll(async () => {
  await h?.close()
  await collector?.close()
})

const url = () => `${h.url}/v1/chat/completions`
const body = (q: string, model = 'chat') => ({ model, messages: [{ role: 'user', content: q }] })

describe('saved cost reaches chargeback', () => {
  it('counts hits and their saved cost per tenant and route; the hit costs nothing', async () => {
    const a1 = await post(url(), body('alpha'))
    const a2 = await post(url(), body('alpha'))
    const a3 = await post(url(), body('alpha'))
    const b1 = await post(url(), body('beta'), jsonHeaders(OTHER_KEY))
    const b2 = await post(url(), body('beta'), jsonHeaders(OTHER_KEY))
    const p1 = await post(url(), body('gamma', 'plain'))
    expect([a1, a2, a3, b1, b2, p1].map((r) => r.headers.get('x-loopgate-cache'))).toEqual([
      'miss',
      'hit',
      'hit',
      'miss',
      'hit',
      null,
    ])
    const cost = (r: typeof a1) => r.headers.get('x-loopgate-cost-usd')!
    await h.gw.flushTelemetry()

    const from = new Date(Date.now() - 3_600_000).toISOString()
    let report = await admin.chargeback({ from, period: 'day', group: 'route' })
    await eventually(async () => {
      report = await admin.chargeback({ from, period: 'day', group: 'route' })
      return report.totals.requests === 6
    }, 30_000)
    const row = (tenant: string, route: string) => report.rows.find((r) => r.tenant_id === tenant && r.key === route)!
    const acme = row('acme', 'chat')
    expect(acme.requests).toBe(3)
    expect(acme.cache_hits).toBe(2)
    expect(scaled(acme.cost_usd)).toBe(scaled(cost(a1)))
    expect(scaled(acme.saved_usd)).toBe(2n * scaled(cost(a1)))
    const beta = row('beta', 'chat')
    expect(beta.cache_hits).toBe(1)
    expect(scaled(beta.saved_usd)).toBe(scaled(cost(b1)))
    const plain = row('acme', 'plain')
    expect(plain.cache_hits).toBe(0)
    expect(plain.saved_usd).toBe('0')
    expect(report.tenant_totals.acme!.cache_hits).toBe(2)
    expect(scaled(report.totals.saved_usd)).toBe(2n * scaled(cost(a1)) + scaled(cost(b1)))

    // Hour periods read the hourly rollup: the same figures.
    const hourly = await admin.chargeback({ from, period: 'hour', group: 'route' })
    expect(hourly.totals.cache_hits).toBe(3)
    expect(hourly.totals.saved_usd).toBe(report.totals.saved_usd)

    const csv = (await admin.chargebackCsv({ from, period: 'day', group: 'route' })).trimEnd().split('\r\n')
    expect(csv[0]!.endsWith(',cost_usd,cache_hits,saved_usd')).toBe(true)
    const total = csv.at(-1)!.split(',')
    expect(total.slice(-2)).toEqual(['3', report.totals.saved_usd])
  })

  it('the hit span is stored with cost 0, cache.hit and saved_usd, and no attempt span', async () => {
    const first = await post(url(), body('delta'))
    const hit = await post(url(), body('delta'))
    const traceId = hit.headers.get('x-loopgate-trace-id')!
    await h.gw.flushTelemetry()
    let trace: Trace | undefined
    await eventually(async () => {
      trace = await admin.getTrace(traceId).catch(() => undefined)
      return trace !== undefined && trace.roots.length > 0
    }, 30_000)
    expect(trace!.roots).toHaveLength(1)
    const span = trace!.roots[0]!
    expect(span.children).toHaveLength(0)
    expect(span.attributes['loopgate.cache.hit']).toBe('true')
    expect(span.attributes['loopgate.cache.saved_usd']).toBe(first.headers.get('x-loopgate-cost-usd'))
    expect(scaled(span.cost_usd)).toBe(0n)
    expect(trace!.totals.cost_usd).toBe('0')
  })
})

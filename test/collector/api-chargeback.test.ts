import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { json } from '../helpers/http.ts'
import { nsAgo, startApiHarness, type ApiHarness } from '../helpers/api-fixtures.ts'
import { spanRow } from '../helpers/span-row.ts'
import type { SpanRow } from '../../collector/storage/span-row.ts'
import { format, scaled } from '../helpers/decimal.ts'

let h: ApiHarness
const rows: SpanRow[] = []
const COSTS = ['0.000000000001', '0.123456789012', '3', '0.000000000009', '17.5']
const ROUTES = ['chat', 'summarize', '=HYPERLINK("x")']

beforeAll(async () => {
  h = await startApiHarness()
  for (let i = 0; i < 3000; i++) {
    rows.push(
      spanRow({
        tenant_id: i % 4 === 0 ? 'globex' : 'acme',
        route: ROUTES[i % 3]!,
        target: `t${i % 2}`,
        provider: i % 5 === 0 ? 'anthropic' : 'openai',
        response_model: i % 5 === 0 ? 'claude' : 'gpt',
        Timestamp: nsAgo((i % 60) * 3_600_000 + 60_000).toString(),
        cost_usd: COSTS[i % COSTS.length]!,
        input_tokens: i % 7,
        output_tokens: i % 11,
        cache_read_tokens: i % 2,
        is_error: i % 13 === 0 ? 1 : 0,
        billable: i % 17 === 0 ? 0 : 1,
      }),
    )
  }
  // Insert in several batches so the rollup holds several partial rows per key.
  for (let i = 0; i < rows.length; i += 700) await h.insertSpans(rows.slice(i, i + 700))
}, 120_000)

afterAll(async () => h?.close())

const billable = (tenant?: string) => rows.filter((r) => r.billable === 1 && (!tenant || r.tenant_id === tenant))
const expectedCost = (rs: SpanRow[]) => format(rs.reduce((a, r) => a + scaled(r.cost_usd), 0n))

describe('GET /api/chargeback', () => {
  it('totals equal the sum of the rows and of the stored billable spans, exactly', async () => {
    for (const period of ['hour', 'day', 'month'] as const) {
      const c = await h.admin.chargeback({
        period,
        group: 'route',
        from: new Date(Date.now() - 4 * 86_400_000).toISOString(),
      })
      const sumRows = format(c.rows.reduce((a, r) => a + scaled(r.cost_usd), 0n))
      expect(c.totals.cost_usd).toBe(sumRows)
      expect(c.totals.cost_usd).toBe(expectedCost(billable()))
      expect(c.totals.requests).toBe(billable().length)
      expect(c.totals.input_tokens).toBe(billable().reduce((a, r) => a + r.input_tokens, 0))
      expect(c.totals.errors).toBe(billable().filter((r) => r.is_error).length)
      expect(c.tenant_totals.acme!.cost_usd).toBe(expectedCost(billable('acme')))
      expect(c.tenant_totals.globex!.cost_usd).toBe(expectedCost(billable('globex')))
      for (const r of c.rows)
        expect(r.period_start).toMatch(
          period === 'month' ? /^\d{4}-\d{2}-01T00:00:00Z$/ : period === 'day' ? /T00:00:00Z$/ : /:00:00Z$/,
        )
    }
  })

  it('day rows (from the daily rollup) equal the hour rows summed per day, over whole UTC days', async () => {
    const day = 86_400_000
    const midday = Math.floor(Date.now() / day) * day - 2.5 * day
    const [days, hoursFrom] = [
      await h.admin.chargeback({ period: 'day', group: 'target', from: new Date(midday).toISOString() }),
      Math.floor(midday / day) * day,
    ]
    expect(Date.parse(days.from)).toBe(hoursFrom)
    expect(Date.parse(days.to) % day).toBe(0)
    const hours = await h.admin.chargeback({ period: 'hour', group: 'target', from: days.from, to: days.to })
    const perDay = new Map<string, { requests: number; cost: bigint }>()
    for (const r of hours.rows) {
      const key = `${r.tenant_id}|${r.period_start.slice(0, 10)}T00:00:00Z|${r.key}`
      const acc = perDay.get(key) ?? { requests: 0, cost: 0n }
      acc.requests += r.requests
      acc.cost += scaled(r.cost_usd)
      perDay.set(key, acc)
    }
    expect(days.rows.length).toBe(perDay.size)
    for (const r of days.rows) {
      const expected = perDay.get(`${r.tenant_id}|${r.period_start}|${r.key}`)!
      expect(r.requests).toBe(expected.requests)
      expect(r.cost_usd).toBe(format(expected.cost))
    }
    expect(days.totals).toEqual(hours.totals)
    expect(days.totals.requests).toBeGreaterThan(0)
  })

  it('groups by tenant × period × key', async () => {
    const c = await h.admin.chargeback({
      period: 'month',
      group: 'provider',
      from: new Date(Date.now() - 4 * 86_400_000).toISOString(),
    })
    const months = new Set(c.rows.map((r) => r.period_start))
    expect(c.rows).toHaveLength(2 * 2 * months.size)
    const acmeAnthropic = c.rows.filter((r) => r.tenant_id === 'acme' && r.key === 'anthropic')
    expect(acmeAnthropic.reduce((a, r) => a + r.requests, 0)).toBe(
      billable('acme').filter((r) => r.provider === 'anthropic').length,
    )
    const models = await h.admin.chargeback({
      period: 'month',
      group: 'model',
      from: new Date(Date.now() - 4 * 86_400_000).toISOString(),
    })
    expect(new Set(models.rows.map((r) => r.key))).toEqual(new Set(['gpt', 'claude']))
  })

  it('orders rows by tenant, period and key, and answers an empty range with zero totals', async () => {
    const c = await h.admin.chargeback({
      period: 'hour',
      group: 'route',
      from: new Date(Date.now() - 4 * 86_400_000).toISOString(),
    })
    const keys = c.rows.map((r) => [r.tenant_id, r.period_start, r.key].join('\u0000'))
    expect(keys).toEqual([...keys].sort())
    expect(new Set(keys).size).toBe(keys.length)
    expect(Object.keys(c.tenant_totals)).toEqual(['acme', 'globex'])
    const empty = await h.admin.chargeback({ period: 'day', from: '2001-01-01T00:00:00Z', to: '2001-02-01T00:00:00Z' })
    expect(empty).toEqual({
      from: '2001-01-01T00:00:00.000Z',
      to: '2001-02-01T00:00:00.000Z',
      period: 'day',
      group: 'route',
      rows: [],
      totals: {
        requests: 0,
        errors: 0,
        input_tokens: 0,
        output_tokens: 0,
        cache_read_tokens: 0,
        cache_write_tokens: 0,
        cost_usd: '0',
        cache_hits: 0,
        saved_usd: '0',
      },
      tenant_totals: {},
    })
  })

  it('keeps hostile keys exact in the JSON that ClickHouse builds', async () => {
    const route = 'a\\b"c\u0000d\n\u2028😀</script>'
    await h.insertSpans([
      spanRow({ tenant_id: 'hostile', route, cost_usd: '0.5', billable: 1, Timestamp: nsAgo(60_000).toString() }),
    ])
    const c = await h.admin.chargeback({ tenant: 'hostile', period: 'day', group: 'route' })
    expect(c.rows.map((r) => r.key)).toEqual([route])
    expect(c.tenant_totals).toEqual({ hostile: expect.objectContaining({ requests: 1, cost_usd: '0.5' }) })
  })

  it('a tenant key sees only its own rows', async () => {
    const c = await h
      .tenant('globex')
      .chargeback({ period: 'day', from: new Date(Date.now() - 4 * 86_400_000).toISOString() })
    expect(new Set(c.rows.map((r) => r.tenant_id))).toEqual(new Set(['globex']))
    expect(c.totals.cost_usd).toBe(expectedCost(billable('globex')))
    const res = await h.raw('/api/chargeback?tenant=acme', { token: 'globex-read' })
    expect(res.status).toBe(403)
  })

  it('serves CSV with a header, one line per row and an exact TOTAL line', async () => {
    const q = {
      period: 'day' as const,
      group: 'route' as const,
      from: new Date(Date.now() - 4 * 86_400_000).toISOString(),
    }
    const c = await h.tenant('acme').chargeback(q)
    const csv = await h.tenant('acme').chargebackCsv(q)
    const lines = csv.trimEnd().split('\r\n')
    expect(lines[0]).toBe(
      'tenant,period,period_start,route,requests,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd,cache_hits,saved_usd',
    )
    expect(lines).toHaveLength(c.rows.length + 2)
    const total = lines.at(-1)!.split(',')
    expect(total[0]).toBe('TOTAL')
    expect(total[10]).toBe(expectedCost(billable('acme')))
    expect(total.slice(11)).toEqual(['0', '0'])
    expect(Number(total[4])).toBe(billable('acme').length)
    // A formula-looking route stays text, quoted because it holds a quote.
    expect(csv).toContain(`"'=HYPERLINK(""x"")"`)
    const res = await h.raw('/api/chargeback?format=csv', { token: 'acme-read' })
    expect(res.headers.get('content-type')).toMatch(/^text\/csv/)
    expect(res.headers.get('content-disposition')).toMatch(/attachment; filename="chargeback-day-route-/)
  })

  it('refuses bad parameters', async () => {
    for (const [qs, field] of [
      ['period=week', 'period'],
      ['group=user', 'group'],
      ['format=xml', 'format'],
      ['from=2030-01-01&to=2020-01-01', 'from'],
    ]) {
      const res = await h.raw(`/api/chargeback?${qs}`, { token: 'acme-read' })
      expect(res.status, qs).toBe(400)
      expect((await json(res)).error.field).toBe(field)
    }
  })
})

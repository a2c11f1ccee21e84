import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CollectorClient, type BudgetStatus } from '../../collector/client.ts'
import type { TenantAccess } from '../../collector/config.ts'
import type { SpanRow } from '../../collector/storage/span-row.ts'
import { startApiHarness, type ApiHarness } from '../helpers/api-fixtures.ts'
import { json } from '../helpers/http.ts'
import { spanRow } from '../helpers/span-row.ts'
import { format, scaled } from '../helpers/decimal.ts'

const TENANTS: TenantAccess[] = [
  {
    id: 'acme',
    ingestKeys: ['acme-ingest'],
    readKeys: ['acme-read'],
    budgets: { usdPerDay: '0.25', usdPerMonth: '1000.5' },
  },
  { id: 'globex', ingestKeys: ['globex-ingest'], readKeys: ['globex-read'], budgets: { usdPerMonth: '7' } },
  { id: 'umbrella', ingestKeys: ['umbrella-ingest'], readKeys: ['umbrella-read'] },
]
// initech has spend in the store but no configuration: it never has a budget row.
const SPENDERS = ['acme', 'globex', 'umbrella', 'initech']
const COSTS = ['0.123456789012', '0.000000000001', '3', '0.000000000009', '0.5']
const HOUR = 3_600_000
const DAY = 24 * HOUR

let h: ApiHarness
const rows: SpanRow[] = []

beforeAll(async () => {
  h = await startApiHarness({ tenants: TENANTS })
  const now = new Date()
  const dayStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate())
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)
  // Today, earlier this month (within retention), yesterday, last month.
  const times = [
    dayStart + Math.floor((now.getTime() - dayStart) / 2),
    Math.max(monthStart, now.getTime() - 10 * DAY),
    dayStart - HOUR,
    monthStart - HOUR,
  ]
  for (let i = 0; i < 240; i++) {
    rows.push(
      spanRow({
        tenant_id: SPENDERS[i % 4]!,
        Timestamp: (BigInt(times[(i >> 2) % 4]!) * 1_000_000n).toString(),
        cost_usd: COSTS[i % COSTS.length]!,
        billable: i % 7 === 0 ? 0 : 1,
      }),
    )
  }
  // Several inserts, so the rollup holds several partial rows per tenant and hour.
  for (let i = 0; i < rows.length; i += 80) await h.insertSpans(rows.slice(i, i + 80))
}, 120_000)

afterAll(async () => h?.close())

/** The period the answer describes, from its reset time (so the test holds across midnight). */
function window(b: BudgetStatus): [number, number] {
  const end = new Date(b.resets_at)
  const start = b.period === 'day' ? end.getTime() - DAY : Date.UTC(end.getUTCFullYear(), end.getUTCMonth() - 1, 1)
  return [start, end.getTime()]
}

function expectedSpent(b: BudgetStatus): bigint {
  const [start, end] = window(b)
  return rows
    .filter((r) => r.tenant_id === b.tenant_id && r.billable === 1)
    .filter((r) => {
      const ms = Number(BigInt(r.Timestamp) / 1_000_000n)
      return ms >= start && ms < end
    })
    .reduce((a, r) => a + scaled(r.cost_usd), 0n)
}

describe('GET /api/budgets', () => {
  it('gives the admin every configured budget with the exact billable spend of the current UTC day and month', async () => {
    const before = Date.now()
    const { budgets } = await h.admin.budgets()
    expect(budgets.map((b) => `${b.tenant_id}/${b.period}`)).toEqual(['acme/day', 'acme/month', 'globex/month'])
    for (const b of budgets) {
      const [start, end] = window(b)
      expect(b.resets_at).toMatch(b.period === 'day' ? /^\d{4}-\d{2}-\d{2}T00:00:00Z$/ : /^\d{4}-\d{2}-01T00:00:00Z$/)
      expect(start).toBeLessThanOrEqual(Date.now())
      expect(end).toBeGreaterThan(before)
      const spent = expectedSpent(b)
      const limit = scaled(b.limit_usd)
      expect(spent).toBeGreaterThan(0n)
      expect(b.spent_usd).toBe(format(spent))
      expect(b.remaining_usd).toBe(format(limit > spent ? limit - spent : 0n))
      expect(b.used_ratio).toBeCloseTo(Number(spent) / Number(limit), 5)
    }
    const [acmeDay, acmeMonth, globexMonth] = budgets
    expect([acmeDay!.limit_usd, acmeMonth!.limit_usd, globexMonth!.limit_usd]).toEqual(['0.25', '1000.5', '7'])
    // Today's acme spend crossed its day limit (the gateway charges an admitted request in full).
    expect(acmeDay!.remaining_usd).toBe('0')
    expect(acmeDay!.used_ratio).toBeGreaterThan(1)
  })

  it('lets the admin narrow to one tenant; a tenant without budgets has none', async () => {
    expect((await h.admin.budgets({ tenant: 'globex' })).budgets.map((b) => b.tenant_id)).toEqual(['globex'])
    expect(await h.admin.budgets({ tenant: 'umbrella' })).toEqual({ budgets: [] })
    expect(await h.admin.budgets({ tenant: 'initech' })).toEqual({ budgets: [] })
  })

  it('shows a tenant key only its own budgets and never another tenant’s name', async () => {
    const all = (await h.admin.budgets()).budgets
    const acme = await h.raw('/api/budgets', { token: 'acme-read' })
    const acmeText = await acme.text()
    expect(JSON.parse(acmeText).budgets).toEqual(all.filter((b) => b.tenant_id === 'acme'))
    expect(acmeText).not.toContain('globex')
    const globex = await h.raw('/api/budgets', { token: 'globex-read' })
    const globexText = await globex.text()
    expect(JSON.parse(globexText).budgets).toEqual(all.filter((b) => b.tenant_id === 'globex'))
    expect(globexText).not.toContain('acme')
    expect(await new CollectorClient({ baseUrl: h.collector.url, token: 'umbrella-read' }).budgets()).toEqual({
      budgets: [],
    })

    const other = await h.raw('/api/budgets?tenant=acme', { token: 'globex-read' })
    expect(other.status).toBe(403)
    expect((await json(other)).error.field).toBe('tenant')
  })

  it('answers 401 without a key or with a wrong one', async () => {
    for (const token of [undefined, 'wrong-key']) {
      const res = await h.raw('/api/budgets', { token })
      expect(res.status).toBe(401)
      expect((await json(res)).error.message).toMatch(/credentials|token/)
    }
  })
})

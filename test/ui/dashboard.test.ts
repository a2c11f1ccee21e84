import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { screenshot, signIn } from '../helpers/browser.ts'
import { ADMIN_TOKEN } from '../helpers/collector.ts'
import { startUiHarness, type UiHarness } from './harness.ts'
import { FAILING_REASON, seed, type Seeded } from './seed.ts'

let h: UiHarness
let data: Seeded

beforeAll(async () => {
  h = await startUiHarness()
  data = await seed(h.collector.url, h.admin)
}, 180_000)

afterAll(async () => h?.close())

const digits = (s: string | null) => (s ?? '').replace(/[^0-9]/g, '')

describe('dashboard as the admin', () => {
  it('lists sessions with the API numbers, searches, and opens a session timeline', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/sessions?range=24h', ADMIN_TOKEN)
    const rows = page.locator('[data-testid=sessions-table] tbody tr')
    await rows.first().waitFor()
    const api = await h.admin.listSessions({ from: new Date(Date.now() - 86_400_000).toISOString(), limit: 50 })
    expect(await rows.count()).toBe(api.sessions.length)
    for (const s of api.sessions) {
      const row = page.locator(`tr[data-session="${s.session_id}"]`)
      expect(await row.locator('[data-cost]').getAttribute('data-cost')).toBe(s.cost_usd)
      expect(await row.locator('td').nth(5).textContent()).toBe(String(s.traces))
    }
    await screenshot(page, 'sessions')

    await page.getByLabel('Search sessions').fill('acme-2')
    await page.getByRole('button', { name: 'Search' }).click()
    await page.waitForURL(/q=acme-2/)
    await expect.poll(() => rows.count()).toBe(1)
    expect(await rows.first().getAttribute('data-session')).toBe('sess-acme-2')

    await page.getByRole('link', { name: 'sess-acme-2' }).click()
    await page.waitForURL(/\/sessions\/sess-acme-2/)
    const items = page.locator('[data-testid=session-timeline] > li')
    await items.first().waitFor()
    const detail = await h.admin.getSession('sess-acme-2')
    expect(await items.evaluateAll((els) => els.map((e) => e.getAttribute('data-trace-id')))).toEqual(
      detail.traces.map((t) => t.trace_id),
    )
    await items.first().getByRole('button').click()
    await expect.poll(() => items.first().locator('.mini-waterfall li').count()).toBe(detail.traces[0]!.spans.length)
    await screenshot(page, 'session-timeline')
  })

  it('shows a trace as a tree with the selected span’s messages, tool calls, errors and scores', async () => {
    const turn = data.acmeTurns[1]!
    const page = await h.newPage()
    await signIn(page, h.url, `/traces/${turn.traceId}`, ADMIN_TOKEN)
    const tree = page.getByRole('tree', { name: 'Span tree' })
    await tree.getByRole('treeitem').first().waitFor()
    const levels = await tree
      .getByRole('treeitem')
      .evaluateAll((els) =>
        els.map((e) => `${e.getAttribute('aria-level')} ${e.querySelector('.span-name')?.textContent}`),
      )
    expect(levels).toEqual([
      '1 agent.turn',
      '2 execute_tool search',
      '2 chat support',
      '3 chat gpt-4o-mini',
      '3 chat gpt-4o-mini',
    ])

    await page.locator(`[data-span-id="${turn.requestSpanId}"]`).click()
    await page.waitForURL(new RegExp(`span=${turn.requestSpanId}`))
    const detail = page.getByRole('complementary', { name: 'Selected span' })
    await expect.poll(() => detail.getByLabel('Input').textContent()).toContain('Where is my order #01?')
    expect(await detail.locator('.tool-call').textContent()).toContain('lookup_order')
    expect(await detail.locator('[data-field="Tokens in"]').textContent()).toBe('1,200')
    const trace = await h.admin.getTrace(turn.traceId)
    const request = trace.roots[0]!.children.find((s) => s.span_id === turn.requestSpanId)!
    expect(await detail.locator('[data-field="Cost"]').textContent()).toContain(request.cost_usd.replace(/0+$/, ''))
    expect(await detail.getByTestId('scores').textContent()).toContain(FAILING_REASON)
    await screenshot(page, 'trace')

    const failed = request.children.find((s) => s.is_error)!
    await page.locator(`[data-span-id="${failed.span_id}"]`).click()
    await expect.poll(() => detail.getByRole('alert').textContent()).toContain('upstream 503: overloaded')
    // Collapsing the gateway request hides its attempts.
    await page.locator(`[data-span-id="${turn.requestSpanId}"] button.toggle`).click()
    await expect.poll(() => tree.getByRole('treeitem').count()).toBe(3)
  })

  it('shows chargeback rows and totals exactly as the API, and exports the same CSV', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/chargeback?range=24h&period=hour&group=route', ADMIN_TOKEN)
    const table = page.getByTestId('chargeback-table')
    await table.waitFor()
    const url = new URL(page.url())
    expect(url.searchParams.get('period')).toBe('hour')
    const rows = table.locator('tr[data-row]')
    const cells = await rows.evaluateAll((trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.getAttribute('data-cost') ?? td.textContent ?? '')),
    )
    const api = await h.admin.chargeback({
      from: new Date(Date.now() - 86_400_000).toISOString(),
      period: 'hour',
      group: 'route',
    })
    expect(cells.map((c) => `${c[0]}|${c[1]}|${c[2]}|${digits(c[3]!)}|${c[9]}`).sort()).toEqual(
      api.rows.map((r) => `${r.tenant_id}|${r.period_start}|${r.key}|${r.requests}|${r.cost_usd}`).sort(),
    )
    expect(await table.locator('[data-total] [data-cost]').getAttribute('data-cost')).toBe(api.totals.cost_usd)
    expect(await table.locator('[data-subtotal="acme"] [data-cost]').getAttribute('data-cost')).toBe(
      api.tenant_totals.acme!.cost_usd,
    )
    await screenshot(page, 'chargeback')

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ])
    expect(download.suggestedFilename()).toMatch(/^chargeback_all_hour_route_.*\.csv$/)
    const csv = readFileSync((await download.path())!, 'utf8')
      .trim()
      .split(/\r?\n/)
    expect(csv[0]).toBe(
      'tenant,period,period_start,route,requests,errors,input_tokens,output_tokens,cache_read_tokens,cache_write_tokens,cost_usd,cache_hits,saved_usd',
    )
    const csvRows = csv.slice(1, -1).map((l) => l.split(','))
    expect(csvRows.map((c) => [c[0], c[2], c[3], ...c.slice(4, 10), c[10]].join('|')).sort()).toEqual(
      cells.map((c) => [c[0], c[1], c[2], ...c.slice(3, 9).map(digits), c[9]].join('|')).sort(),
    )
    expect(csv.at(-1)!.split(',')[10]).toBe(await table.locator('[data-total] [data-cost]').getAttribute('data-cost'))
  })

  it('shows each tenant’s budget used vs limit exactly as the API', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/chargeback?range=24h', ADMIN_TOKEN)
    const table = page.getByTestId('budgets')
    await table.waitFor()
    const api = await h.admin.budgets()
    expect(api.budgets.map((b) => `${b.tenant_id}/${b.period}`)).toEqual(['acme/day', 'acme/month', 'globex/month'])
    const shown = await table.locator('tbody tr').evaluateAll((trs) =>
      trs.map((tr) => {
        const cell = (col: string) => tr.querySelector(`[data-col=${col}]`)!
        return {
          key: `${tr.getAttribute('data-tenant')}/${tr.getAttribute('data-period')}`,
          spent: cell('spent').getAttribute('data-usd'),
          limit: cell('limit').getAttribute('data-usd'),
          remaining: cell('remaining').getAttribute('data-usd'),
          used: cell('used').textContent!.trim(),
          resets: cell('resets').textContent,
        }
      }),
    )
    expect(shown).toEqual(
      api.budgets.map((b) => ({
        key: `${b.tenant_id}/${b.period}`,
        spent: b.spent_usd,
        limit: b.limit_usd,
        remaining: b.remaining_usd,
        used: `${(b.used_ratio * 100).toFixed(1)}%`,
        resets: b.resets_at.replace('T', ' '),
      })),
    )
    // The month's spend is the chargeback report's for the same UTC month.
    const now = new Date()
    const month = await h.admin.chargeback({
      from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1)).toISOString(),
      period: 'month',
      tenant: 'globex',
    })
    expect(shown.find((r) => r.key === 'globex/month')!.spent).toBe(month.tenant_totals.globex?.cost_usd ?? '0')
    await screenshot(page, 'budgets')

    await page.goto(`${h.url}/chargeback?range=24h&tenant=globex`)
    // A full reload: the app signs in again from sessionStorage before it asks for budgets.
    await expect
      .poll(() => table.locator('tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-tenant'))), {
        timeout: 30_000,
      })
      .toEqual(['globex'])
  })

  it('shows route stats, each decision with its reason, and the weights chart', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/routes?range=24h', ADMIN_TOKEN)
    const stats = page.getByTestId('route-stats')
    await stats.waitFor()
    const api = await h.admin.routeStats({ from: new Date(Date.now() - 86_400_000).toISOString() })
    for (const s of api.stats) {
      const row = stats.locator(`tr[data-route="${s.route}"][data-target="${s.target}"]`)
      expect(digits(await row.locator('[data-col=requests]').textContent())).toBe(String(s.requests))
    }
    const decisions = page.getByTestId('decisions')
    await decisions.waitFor()
    expect(await decisions.locator('tbody tr').count()).toBe(2)
    expect(await decisions.textContent()).toContain('step capped at 0.2')
    expect(await page.getByRole('figure', { name: 'Weights over time · support' }).locator('canvas').count()).toBe(1)
    // The live weight is the newest applied decision's.
    expect(
      await stats.locator('tr[data-route="support"][data-target="openai/gpt-4o-mini"] td').nth(2).textContent(),
    ).toBe('0.90')
    await screenshot(page, 'routes')
  })

  it('groups failing evaluations by reason and links each case to its trace', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/evaluations?range=24h', ADMIN_TOKEN)
    const aggregates = page.getByTestId('score-aggregates')
    await aggregates.waitFor()
    expect(
      await aggregates.locator('tr[data-scorer="helpfulness"][data-route="support"] [data-col=mean]').textContent(),
    ).toBe('0.550')
    const group = page.locator('.failure-group', { hasText: FAILING_REASON })
    expect(await group.locator('summary').textContent()).toContain('1 case(s)')
    await screenshot(page, 'evaluations')
    await group.getByRole('link').click()
    await page.waitForURL(new RegExp(`/traces/${data.acmeTurns[1]!.traceId}`))
    await page.getByRole('tree', { name: 'Span tree' }).waitFor()
  })

  it('shows the overview with the API totals and top routes', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/?range=24h', ADMIN_TOKEN)
    const kpis = page.getByTestId('kpis')
    await kpis.waitFor()
    const api = await h.admin.chargeback({
      from: new Date(Date.now() - 86_400_000).toISOString(),
      period: 'hour',
      group: 'route',
    })
    expect(digits(await kpis.locator('[data-stat=Requests] .stat-value').textContent())).toBe(
      String(api.totals.requests),
    )
    expect(await kpis.locator('[data-stat=Cost] .stat-value').textContent()).toBe(`$${api.totals.cost_usd}`)
    expect(await page.getByTestId('top-routes').locator('tr[data-key]').first().getAttribute('data-key')).toBe(
      'globex-private-route',
    )
    expect(await page.locator('figure.chart canvas').count()).toBe(6)
    // Latency and quality over time come from one route-stats call per twelfth of the range.
    for (const name of ['p95 latency (worst route × target)', 'Mean quality']) {
      await expect
        .poll(() => page.getByRole('figure', { name }).getAttribute('data-points'), { timeout: 60_000 })
        .not.toBe('0')
    }
    await screenshot(page, 'overview')
  })
})

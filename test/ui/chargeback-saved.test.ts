import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { screenshot, signIn } from '../helpers/browser.ts'
import { ADMIN_TOKEN } from '../helpers/collector.ts'
import { eventually, hexId, ingest, span } from './fixtures.ts'
import { startUiHarness, type UiHarness } from './harness.ts'

/** The chargeback page shows the gateway's response-cache hits and the cost they saved, per tenant and route, exactly as the API. */
let h: UiHarness

/** A gateway request span: answered upstream (cost) or from the cache (cost 0, saved). */
function request(tenant: string, route: string, cost: string, saved?: string) {
  const attributes: Record<string, string | number | boolean> = {
    'loopgate.tenant.id': tenant,
    'gen_ai.operation.name': 'chat',
    'loopgate.span': 'request',
    'loopgate.route': route,
    'gen_ai.request.model': route,
    'loopgate.cost_usd': cost,
  }
  if (saved !== undefined) {
    attributes['loopgate.cache.hit'] = true
    attributes['loopgate.cache.saved_usd'] = saved
  }
  return span({
    traceId: hexId(16),
    name: `chat ${route}`,
    startMs: Date.now() - 60_000,
    durationMs: 5,
    kind: 2,
    attributes,
  })
}

beforeAll(async () => {
  h = await startUiHarness()
  await ingest(h.collector.url, [
    request('acme', 'support', '0.000123'),
    request('acme', 'support', '0', '0.000123'),
    request('acme', 'support', '0', '0.000123'),
    request('acme', 'search', '0.5'),
    request('globex', 'support', '0.25'),
    request('globex', 'support', '0', '0.25'),
  ])
  await eventually(async () => {
    const c = await h.admin.chargeback({ period: 'hour' })
    if (c.totals.requests !== 6) throw new Error('not stored yet')
  })
}, 180_000)
afterAll(async () => h?.close())

describe('chargeback page: saved cost', () => {
  it('shows cached answers and saved USD per tenant and route, with exact subtotals and total', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/tenants?range=24h&period=hour&group=route', ADMIN_TOKEN)
    const table = page.getByTestId('chargeback-table')
    await table.waitFor()
    const api = await h.admin.chargeback({
      from: new Date(Date.now() - 86_400_000).toISOString(),
      period: 'hour',
      group: 'route',
    })
    const shown = await table.locator('tr[data-row]').evaluateAll((trs) =>
      trs.map((tr) => {
        const td = [...tr.querySelectorAll('td')]
        return `${td[0]!.textContent}|${td[2]!.textContent}|${tr.querySelector('[data-cache-hits]')!.getAttribute('data-cache-hits')}|${tr.querySelector('[data-saved]')!.getAttribute('data-saved')}`
      }),
    )
    expect(shown.sort()).toEqual(api.rows.map((r) => `${r.tenant_id}|${r.key}|${r.cache_hits}|${r.saved_usd}`).sort())
    const acmeSupport = api.rows.find((r) => r.tenant_id === 'acme' && r.key === 'support')!
    expect(acmeSupport.cache_hits).toBe(2)
    expect(acmeSupport.saved_usd).toMatch(/^0\.000246(0*)$/)
    expect(await table.locator('[data-subtotal="acme"] [data-saved]').getAttribute('data-saved')).toBe(
      api.tenant_totals.acme!.saved_usd,
    )
    expect(await table.locator('[data-total] [data-saved]').getAttribute('data-saved')).toBe(api.totals.saved_usd)
    expect(await table.locator('[data-total] [data-saved]').textContent()).toBe('$0.250246')
    expect(await table.locator('[data-total] [data-cache-hits]').textContent()).toBe('3')
    await expect.poll(() => page.getByRole('columnheader', { name: 'Saved (USD)' }).count()).toBe(1)
    await screenshot(page, 'chargeback-saved')
  })
})

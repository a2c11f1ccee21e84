import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { READ_KEYS } from '../helpers/api-fixtures.ts'
import { screenshot, signIn } from '../helpers/browser.ts'
import { ADMIN_TOKEN } from '../helpers/collector.ts'
import { startUiHarness, type UiHarness } from './harness.ts'
import { GLOBEX_ROUTE, seed, type Seeded } from './seed.ts'

let h: UiHarness
let data: Seeded

beforeAll(async () => {
  h = await startUiHarness()
  data = await seed(h.collector.url, h.admin)
}, 180_000)

afterAll(async () => h?.close())

const REJECTED = /wrong or has expired/

describe('who may see what', () => {
  it('keeps a wrong key on the login page with a clear message', async () => {
    const page = await h.newPage()
    await page.goto(`${h.url}/sessions`)
    await page.getByLabel('Key').fill('not-a-key')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(REJECTED)
    expect(await page.getByRole('button', { name: 'Sign out' }).count()).toBe(0)
    expect(await page.evaluate('sessionStorage.getItem("loopgate.token")')).toBeNull()
    await screenshot(page, 'login-wrong-key')
  })

  it('returns to the login page with a message when a kept key stops working', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/sessions', ADMIN_TOKEN)
    // A key revoked or expired since sign-in: the API now answers 401.
    await page.evaluate('sessionStorage.setItem("loopgate.token", "revoked-key")')
    await page.reload()
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(REJECTED)
    await page.getByLabel('Key').waitFor()
    expect(new URL(page.url()).pathname).toBe('/sessions')
  })

  it('shows a tenant key only its own tenant, everywhere', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/sessions?range=24h', READ_KEYS.acme)
    expect(await page.getByTestId('tenant-badge').textContent()).toBe('tenant: acme')
    const rows = page.locator('[data-testid=sessions-table] tbody tr')
    await rows.first().waitFor()
    expect((await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-session')))).sort()).toEqual(
      data.acmeSessions,
    )
    await screenshot(page, 'tenant-sessions')

    for (const path of ['/?range=24h', '/chargeback?range=24h', '/evaluations?range=24h', '/routes?range=24h']) {
      await page.goto(`${h.url}${path}`)
      await page.locator('main table, main .state-empty').first().waitFor()
      await page.waitForLoadState('networkidle')
      const text = (await page.locator('body').textContent()) ?? ''
      expect(text, path).not.toContain('globex')
      expect(text, path).not.toContain(GLOBEX_ROUTE)
    }
    // Still on /routes: decisions are admin only, said plainly.
    expect(await page.getByTestId('admin-only').textContent()).toMatch(/admin only/)
    await screenshot(page, 'tenant-routes')

    // A shared admin link naming another tenant still shows only the caller's data.
    await page.goto(`${h.url}/chargeback?range=24h&tenant=globex`)
    await page.getByTestId('chargeback-table').waitFor()
    expect(
      await page
        .locator('[data-testid=chargeback-table] tbody')
        .evaluateAll((bs) => bs.map((b) => b.getAttribute('data-tenant'))),
    ).toEqual(['acme'])

    // Another tenant's trace is a 404 for this key.
    await page.goto(`${h.url}/traces/${data.globexTurns[0]!.traceId}`)
    await expect.poll(() => page.getByRole('alert').textContent()).toMatch(/No trace found/)
  })

  it('lets the admin narrow to one tenant from the URL', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/sessions?range=24h&tenant=globex', ADMIN_TOKEN)
    const rows = page.locator('[data-testid=sessions-table] tbody tr')
    await rows.first().waitFor()
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-session')))).toEqual(['sess-globex-1'])
    expect(await page.getByLabel('Tenant').inputValue()).toBe('globex')
  })
})

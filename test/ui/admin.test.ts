import { rmSync } from 'node:fs'
import OpenAI from 'openai'
import { pino } from 'pino'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { TenantAccess } from '../../collector/config.ts'
import { start as startGateway, type RunningGateway } from '../../gateway/index.ts'
import { startSimulator, type Simulator } from '../../gateway/simulator/index.ts'
import {
  ensureUiBuilt,
  launchBrowser,
  screenshot,
  signIn,
  startUiServer,
  type TestBrowser,
} from '../helpers/browser.ts'
import { ADMIN_TOKEN, startTestCollector, type TestCollector } from '../helpers/collector.ts'

/*
 * The admin page against a running collector, gateway and simulator: the browser talks only to the
 * collector (through the UI server), which relays admin calls to the gateway with the admin token.
 */
const PROVIDER_KEY = 'sk-sim-admin-ui-0001'
const ACME_READ = 'acme-admin-ui-read'
const ACME_GATEWAY_KEY = 'lg-acme-admin-ui-000001'
const TENANTS: TenantAccess[] = [
  { id: 'acme', ingestKeys: [], readKeys: [ACME_READ] },
  { id: 'globex', ingestKeys: [], readKeys: ['globex-admin-ui-read'] },
]

let collector: TestCollector
let sim: Simulator
let gateway: RunningGateway
let ui: { url: string; close(): Promise<void> }
let browser: TestBrowser
const contexts: BrowserContext[] = []
let gatewayUrl: string | undefined

beforeAll(async () => {
  await ensureUiBuilt()
  collector = await startTestCollector({ tenants: TENANTS, gatewayUrl: () => gatewayUrl })
  sim = await startSimulator({ apiKeys: [PROVIDER_KEY] })
  gateway = await startGateway({
    gateway: {
      port: 0,
      dataDir: `${collector.dataDir}-gateway`,
      providers: { sim: { protocol: 'openai', baseUrl: sim.openaiBaseUrl, apiKeyEnv: 'SIM_KEY' } },
      routes: [
        {
          name: 'chat',
          targets: [
            { provider: 'sim', model: 'sim-a', price: { input: '0.15', output: '0.6' } },
            { provider: 'sim', model: 'sim-b', price: { input: '0.15', output: '0.6' } },
          ],
        },
      ],
      tenants: [
        { id: 'acme', keys: [{ key: ACME_GATEWAY_KEY, name: 'acme-config' }] },
        { id: 'globex', keys: [] },
      ],
      telemetry: { enabled: false },
    },
    adminToken: ADMIN_TOKEN,
    env: { SIM_KEY: PROVIDER_KEY },
    logger: pino({ level: 'silent' }),
  })
  gatewayUrl = gateway.url
  ui = await startUiServer(collector.url)
  browser = await launchBrowser()
}, 180_000)

afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined)
  await browser?.close()
  await ui?.close()
  await gateway?.close()
  await sim?.close()
  await collector?.close()
  rmSync(`${collector.dataDir}-gateway`, { recursive: true, force: true })
  rmSync(collector.dataDir, { recursive: true, force: true })
})

async function newPage(): Promise<Page> {
  const context = await browser.browser.newContext({ viewport: { width: 1440, height: 900 } })
  contexts.push(context)
  context.setDefaultTimeout(90_000)
  return context.newPage()
}

const ask = (key: string) =>
  new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: key, maxRetries: 0 }).chat.completions.create({
    model: 'chat',
    messages: [{ role: 'user', content: 'hello from the admin test' }],
    max_tokens: 8,
  })

/** formatUsd of the exact cost at 0.15 / 0.6 USD per million tokens. */
function shownCost(input: number, output: number): string {
  const units = BigInt(input) * 150_000n + BigInt(output) * 600_000n
  const s = units.toString().padStart(13, '0')
  const fraction = s.slice(-12).replace(/0+$/, '')
  return `$${s.slice(0, -12)}.${fraction.length < 2 ? fraction.padEnd(2, '0') : fraction}`
}

const api = (path: string, token: string, init: RequestInit = {}) =>
  fetch(`${ui.url}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
  })

describe('admin page', () => {
  it('creates a key whose secret is shown once, sees its spend after a call through the gateway, revokes it to a 401', async () => {
    const page = await newPage()
    await signIn(page, ui.url, '/admin', ADMIN_TOKEN)
    await page.getByTestId('admin-console').waitFor()
    await page.getByLabel('Key tenant').fill('acme')
    await page.getByLabel('Key name').fill('ui-bot')
    await page.getByLabel('Create reason').fill('support bot goes live')
    await page.getByRole('button', { name: 'Create key' }).click()
    const secret = (await page.getByTestId('new-secret').textContent())!
    expect(secret).toMatch(/^lg-[A-Za-z0-9_-]{32}$/)
    const row = page.locator('[data-testid=keys] tbody tr', { hasText: 'ui-bot' })
    await row.waitFor()
    const keyId = (await row.getAttribute('data-key'))!
    await screenshot(page, 'admin-key-created')

    const reply = await ask(secret)
    const expected = shownCost(reply.usage!.prompt_tokens, reply.usage!.completion_tokens)
    await page.reload()
    await page.getByTestId('admin-console').waitFor()
    expect(await page.getByTestId('new-secret').count()).toBe(0) // shown once: gone after a reload
    const spend = page.locator(`[data-testid=keys] tr[data-key="${keyId}"] [data-testid=spend-today]`)
    await expect.poll(() => spend.textContent()).toBe(expected)
    expect(await page.locator('body').textContent()).not.toContain(secret)

    await page.locator(`[data-testid=keys] tr[data-key="${keyId}"]`).getByRole('button', { name: 'Revoke' }).click()
    await page.getByLabel('Revoke reason').fill('rotating after the test')
    await page.getByRole('button', { name: 'Confirm revoke' }).click()
    await expect
      .poll(() => page.locator(`[data-testid=keys] tr[data-key="${keyId}"] [data-testid=key-status]`).textContent())
      .toMatch(/^revoked /)
    const refused = await ask(secret).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError)
    expect((refused as InstanceType<typeof OpenAI.AuthenticationError>).status).toBe(401)

    const audit = page.getByTestId('key-audit')
    await expect.poll(() => audit.textContent()).toContain('rotating after the test')
    expect(await audit.textContent()).toContain('support bot goes live')
    await screenshot(page, 'admin-key-revoked')
  })

  it('sets a tenant budget that the gateway enforces on the next request', async () => {
    const page = await newPage()
    await signIn(page, ui.url, '/admin', ADMIN_TOKEN)
    await page.getByLabel('Limits scope').selectOption('acme')
    const form = page.getByRole('form', { name: 'Budgets and rate limits' })
    await form.getByLabel('USD per day').fill('0.000000000001')
    await form.getByLabel('Limits reason').fill('freeze acme spend')
    await form.getByRole('button', { name: 'Save limits' }).click()
    await expect.poll(() => page.getByTestId('current-limits').textContent()).toBe('now: $0.000000000001/day')
    // Any request's worst case is more than a 1e-12 USD day budget: refused before the upstream call.
    const refused = await ask(ACME_GATEWAY_KEY).catch((e: unknown) => e)
    expect(refused).toBeInstanceOf(OpenAI.APIError)
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(402)
    expect((refused as Error).message).toContain('tenant "acme"')
    // Lift it again for the other tests.
    await form.getByLabel('USD per day').fill('')
    await form.getByLabel('Limits reason').fill('unfreeze')
    await form.getByRole('button', { name: 'Save limits' }).click()
    await expect.poll(() => page.getByTestId('current-limits').textContent()).toBe('now: none')
    expect((await ask(ACME_GATEWAY_KEY)).choices).toHaveLength(1)
  })

  it('edits a route weight with a reason and shows the change on the Routes page', async () => {
    const page = await newPage()
    await signIn(page, ui.url, '/admin', ADMIN_TOKEN)
    await page.getByLabel('Edit route').selectOption('chat')
    await page.getByLabel('Weight of sim/sim-b').fill('3')
    await page.getByLabel('Routing reason').fill('sim-b answers better on support tickets')
    await page.getByRole('button', { name: 'Save weights' }).click()
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'Saved as version' }).count()).toBe(1)
    const served = (await (
      await fetch(`${gateway.url}/admin/routing`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as { routes: { targets: { model: string; weight: number }[] }[] }
    expect(served.routes[0]!.targets.map((t) => `${t.model}=${t.weight}`)).toEqual(['sim-a=1', 'sim-b=3'])

    await page.goto(`${ui.url}/routes?range=24h`)
    const changes = page.getByTestId('routing-changes')
    await changes.waitFor()
    const text = (await changes.textContent())!
    expect(text).toContain('sim-b answers better on support tickets')
    expect(text).toContain('chat: sim/sim-a 1, sim/sim-b 3')
    expect(text).toContain('dashboard (admin token)')
    await screenshot(page, 'routes-admin-changes')
  })

  it('shows a tenant key its own keys read-only, no admin controls, and refuses its direct admin calls', async () => {
    const page = await newPage()
    await signIn(page, ui.url, '/admin', ACME_READ)
    await page.getByTestId('tenant-keys').waitFor()
    expect(await page.getByRole('navigation').getByRole('link', { name: 'Keys' }).count()).toBe(1)
    expect(await page.getByRole('navigation').getByRole('link', { name: 'Admin' }).count()).toBe(0)
    const rows = page.locator('[data-testid=keys] tbody tr')
    await rows.first().waitFor()
    expect(new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-tenant'))))).toEqual(
      new Set(['acme']),
    )
    expect(
      await page.locator('[data-testid=keys] tr[data-key="acme-config"] [data-testid=spend-today]').textContent(),
    ).toMatch(/^\$0\.\d+$/)
    for (const control of ['Create key', 'Revoke', 'Save limits', 'Save weights', 'Limits'])
      expect(await page.getByRole('button', { name: control }).count(), control).toBe(0)
    expect(await page.getByTestId('admin-console').count()).toBe(0)
    await screenshot(page, 'tenant-keys')

    const before = (await (
      await fetch(`${gateway.url}/admin/keys/audit`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as { entries: unknown[] }
    const calls: [string, string, unknown?][] = [
      ['GET', '/api/admin/keys'],
      ['GET', '/api/admin/keys/audit'],
      ['POST', '/api/admin/tenants/acme/keys', { name: 'sneaky' }],
      ['POST', '/api/admin/tenants/acme/keys/acme-config/revoke', {}],
      ['PUT', '/api/admin/tenants/acme/limits', { rateLimits: { rpm: 100000 } }],
      ['PUT', '/api/admin/tenants/acme/keys/acme-config/limits', {}],
      ['GET', '/api/admin/routing'],
      ['PUT', '/api/admin/routing', { routes: [], reason: 'x' }],
      ['GET', '/api/admin/routing/audit'],
    ]
    for (const [method, path, body] of calls) {
      const r = await api(path, ACME_READ, { method, body: body === undefined ? undefined : JSON.stringify(body) })
      expect(r.status, `${method} ${path}`).toBe(403)
    }
    expect((await api('/api/keys?tenant=globex', ACME_READ)).status).toBe(403)
    // The gateway itself: neither a read key nor a virtual key opens its admin API.
    for (const token of [ACME_READ, ACME_GATEWAY_KEY]) {
      expect((await fetch(`${gateway.url}/admin/keys`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(
        401,
      )
    }
    const after = (await (
      await fetch(`${gateway.url}/admin/keys/audit`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json()) as { entries: unknown[] }
    expect(after.entries.length).toBe(before.entries.length)
  })
})

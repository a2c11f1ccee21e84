import type { Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ListRequestsQuery } from '../../collector/client.ts'
import { screenshot, signIn } from '../helpers/browser.ts'
import { ADMIN_TOKEN } from '../helpers/collector.ts'
import { KEY, startHarness, type Harness } from '../gateway/harness.ts'
import { eventually, hexId, ingest, span } from './fixtures.ts'
import { startUiHarness, type UiHarness } from './harness.ts'
import { seed } from './seed.ts'

// The request log in real Chromium: the dashboard's seed (gateway requests through agent turns),
// producer LLM spans with tags, TTFT and an error, and one call made through a real gateway in
// front of the simulator exactly like the README's curl (no session). Every filter is set in
// the page and must show exactly the rows the API returns for the same query.

let h: UiHarness
let gw: Harness
let curlTraceId = ''
const from = () => new Date(Date.now() - 86_400_000).toISOString()

beforeAll(async () => {
  h = await startUiHarness()
  await seed(h.collector.url, h.admin)
  const now = Date.now()
  const producer = (o: {
    traceId: string
    model: string
    provider: string
    startMs: number
    durationMs: number
    ttftMs?: number
    tags?: string
    error?: string
    tokens: [number, number]
    text: string
    session?: string
  }) =>
    span({
      traceId: o.traceId,
      name: `chat ${o.model}`,
      startMs: o.startMs,
      durationMs: o.durationMs,
      kind: 3,
      error: o.error,
      attributes: {
        'loopgate.tenant.id': 'acme',
        'user.id': 'erin',
        ...(o.session ? { 'session.id': o.session } : {}),
        'gen_ai.operation.name': 'chat',
        'gen_ai.provider.name': o.provider,
        'gen_ai.request.model': o.model,
        'gen_ai.usage.input_tokens': o.tokens[0],
        'gen_ai.usage.output_tokens': o.tokens[1],
        ...(o.ttftMs ? { 'loopgate.ttft_ms': o.ttftMs } : {}),
        ...(o.tags ? { 'tag.tags': o.tags } : {}),
        'gen_ai.input.messages': JSON.stringify([{ role: 'user', parts: [{ type: 'text', content: o.text }] }]),
      },
    })
  await ingest(
    h.collector.url,
    [
      producer({
        traceId: hexId(16),
        model: 'claude-3-5-haiku',
        provider: 'anthropic',
        startMs: now - 900_000,
        durationMs: 2400,
        ttftMs: 350,
        tags: '["vip","beta"]',
        tokens: [4000, 800],
        text: 'Translate the contract',
        session: 'sess-prod',
      }),
      producer({
        traceId: hexId(16),
        model: 'gpt-4o',
        provider: 'openai',
        startMs: now - 800_000,
        durationMs: 40,
        ttftMs: 15,
        tags: '["batch"]',
        tokens: [20, 2],
        text: 'ping',
      }),
      producer({
        traceId: hexId(16),
        model: 'gpt-4o',
        provider: 'openai',
        startMs: now - 700_000,
        durationMs: 5000,
        error: 'rate limited',
        tokens: [300, 0],
        text: 'Summarize the quarterly report',
      }),
    ],
    'batch-worker',
  )

  // The README's curl, through a real gateway whose spans go to this collector (trusted: the admin token).
  gw = await startHarness({
    exportToken: ADMIN_TOKEN,
    gateway: () => ({ telemetry: { enabled: true, collectorUrl: h.collector.url, scheduledDelayMs: 100 } }),
  })
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hi' }] }),
  })
  expect(res.status).toBe(200)
  await gw.gw.flushTelemetry()
  curlTraceId = await eventually(async () => {
    const { requests } = await h.admin.listRequests({ route: 'chat', from: from() })
    if (requests.length !== 1) throw new Error('the gateway request is not stored yet')
    return requests[0]!.trace_id
  })
}, 240_000)

afterAll(async () => {
  await gw?.close()
  await h?.close()
})

const rowsShown = (page: Page) =>
  page
    .locator('[data-testid=requests-table] [role=row][data-span-id]')
    .evaluateAll((els) => els.map((e) => e.getAttribute('data-span-id')))

/** The page shows exactly the API's rows for the same filters (the last 24 h, as the admin). */
async function expectRows(page: Page, query: ListRequestsQuery, atLeast = 1) {
  const api = await h.admin.listRequests({ from: from(), limit: 100, ...query })
  expect(api.requests.length).toBeGreaterThanOrEqual(atLeast)
  await expect.poll(() => rowsShown(page)).toEqual(api.requests.map((r) => r.span_id))
  return api.requests
}

async function addValue(page: Page, label: string, value: string) {
  const input = page.getByLabel(`Add ${label} filter`)
  await input.fill(value)
  await input.press('Enter')
}

describe('requests page', () => {
  it('is second in the navigation and lists every LLM call once, newest first', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/?range=24h', ADMIN_TOKEN)
    const nav = await page.locator('.topbar nav a').allTextContents()
    expect(nav.slice(0, 2)).toEqual(['Overview', 'Requests'])
    await page.getByRole('link', { name: 'Requests' }).click()
    await page.waitForURL(/\/requests\?range=24h/)
    // 6 acme + 1 globex gateway requests (never their attempts), 3 producer calls, the curl.
    const all = await expectRows(page, {}, 11)
    expect(all).toHaveLength(11)
    const vip = all.find((r) => r.tags.includes('vip'))!
    const row = page.locator(`[role=row][data-span-id="${vip.span_id}"]`)
    expect(await row.locator('[data-col=tags]').textContent()).toBe('vipbeta')
    expect(await row.locator('[data-col=ttft]').textContent()).toBe('350 ms')
    expect(await row.locator('[data-col=cost]').getAttribute('data-cost')).toBe(vip.cost_usd)
    const scored = all.find((r) => r.scores.length > 0)!
    expect(
      await page.locator(`[role=row][data-span-id="${scored.span_id}"] [data-col=scores]`).textContent(),
    ).toContain('helpfulness')
    await screenshot(page, 'requests')
  })

  it('filters by each name, several values at once, all kept in the URL', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/requests?range=24h', ADMIN_TOKEN)
    await expectRows(page, {})
    const names: [string, keyof ListRequestsQuery, string[]][] = [
      ['tenant', 'tenant', ['globex']],
      ['route', 'route', ['support']],
      ['model', 'model', ['claude-3-5-haiku', 'gpt-4o']],
      ['provider', 'provider', ['anthropic']],
      ['user', 'user', ['bob', 'erin']],
      ['session', 'session', ['sess-acme-2']],
      ['tag', 'tag', ['vip', 'batch']],
    ]
    for (const [label, param, values] of names) {
      for (const v of values) await addValue(page, label, v)
      await page.waitForURL((url) => url.searchParams.getAll(param).join() === values.join())
      await expectRows(page, { [param]: values })
      for (const v of values) await page.getByRole('button', { name: `Remove ${label} ${v}` }).click()
      await page.waitForURL((url) => !url.searchParams.has(param))
    }
    await page.getByLabel('Status').selectOption('error')
    await page.waitForURL(/status=error/)
    await expectRows(page, { status: 'error' })
    // A shared link restores the filters.
    await page.goto(`${h.url}/requests?range=24h&route=support&user=bob`)
    await expectRows(page, { route: 'support', user: 'bob' })
    expect(await page.getByRole('button', { name: 'Remove route support' }).count()).toBe(1)
  })

  it('filters by each range, by score and by text in the input or output', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/requests?range=24h', ADMIN_TOKEN)
    await expectRows(page, {})
    const ranges: [Record<string, string>, ListRequestsQuery][] = [
      [{ 'Latency (ms) min': '1000' }, { latency_min: 1000 }],
      [{ 'Latency (ms) max': '100' }, { latency_max: 100 }],
      [{ 'TTFT (ms) min': '100' }, { ttft_min: 100 }],
      [{ 'Tokens min': '2000' }, { tokens_min: 2000 }],
      [
        { 'Cost (USD) min': '0.0021', 'Cost (USD) max': '0.1' },
        { cost_min: '0.0021', cost_max: '0.1' },
      ],
      [
        { 'Score name': 'helpfulness', 'Score max': '0.5' },
        { score: 'helpfulness', score_max: 0.5 },
      ],
      [{ 'Search text': 'QUARTERLY' }, { q: 'QUARTERLY' }],
      [{ 'Search text': 'Where is my order #11' }, { q: 'Where is my order #11' }],
    ]
    for (const [fields, query] of ranges) {
      await page.getByRole('button', { name: 'Clear' }).click()
      await expectRows(page, {})
      for (const [label, value] of Object.entries(fields)) await page.getByLabel(label, { exact: true }).fill(value)
      await page.getByRole('button', { name: 'Apply' }).click()
      await page.waitForURL((url) => Object.entries(query).every(([k, v]) => url.searchParams.get(k) === String(v)))
      await expectRows(page, query)
    }
    // A bad range is refused by the API with its reason shown.
    await page.goto(`${h.url}/requests?range=24h&latency_min=500&latency_max=100`)
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('latency_min')
  })

  it('opens the trace of a request made like the README’s curl, which has no session', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/requests?range=24h&route=chat', ADMIN_TOKEN)
    const [curl] = await expectRows(page, { route: 'chat' })
    expect(curl!.session_id).toBe('')
    expect(await page.locator(`[role=row][data-span-id="${curl!.span_id}"] [data-col=session]`).textContent()).toBe('—')
    await page.locator(`[role=row][data-span-id="${curl!.span_id}"] [data-col=model]`).click()
    await page.waitForURL(new RegExp(`/traces/${curlTraceId}\\?.*span=${curl!.span_id}`))
    const tree = page.getByRole('tree', { name: 'Span tree' })
    await tree.getByRole('treeitem').first().waitFor()
    // The request's own span is the selected one (a trace may hold only the gateway's spans).
    await expect
      .poll(() => tree.locator(`[data-span-id="${curl!.span_id}"]`).getAttribute('aria-selected'))
      .toBe('true')
    expect(
      await page
        .getByRole('complementary', { name: 'Selected span' })
        .locator('[data-field="Tokens in"]')
        .textContent(),
    ).toBe(String(curl!.input_tokens))
    await screenshot(page, 'requests-trace')
  })

  it('shows a tenant key only its own tenant’s requests, with no tenant filter', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/requests?range=24h', 'globex-read')
    const api = await h.tenant('globex').listRequests({ from: from() })
    expect(api.requests.map((r) => r.tenant_id)).toEqual(['globex'])
    await expect.poll(() => rowsShown(page)).toEqual(api.requests.map((r) => r.span_id))
    expect(await page.getByLabel('Add tenant filter').count()).toBe(0)
  })
})

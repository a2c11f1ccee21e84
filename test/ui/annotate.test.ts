import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { READ_KEYS } from '../helpers/api-fixtures.ts'
import { screenshot, signIn } from '../helpers/browser.ts'
import { ADMIN_TOKEN } from '../helpers/collector.ts'
import { startUiHarness, type UiHarness } from './harness.ts'
import { seed, type Seeded } from './seed.ts'

// Human annotation, failure clusters, the trace page's scores and the API docs, in headless Chromium.
let h: UiHarness
let data: Seeded
const acmeKeyId = `acme/sha256:${createHash('sha256').update(READ_KEYS.acme).digest('hex').slice(0, 12)}`

beforeAll(async () => {
  // The operator opts route `support` in to tenant feedback, so a tenant's thumbs count in its quality.
  h = await startUiHarness({ collector: { tenantFeedbackRoutes: ['support'] } })
  data = await seed(h.collector.url, h.admin)
  // Three reference failures whose reasons differ only in their numbers, and one other.
  const [a, b, c] = data.acmeTurns
  await h.admin.postScores([
    {
      tenant_id: 'acme',
      trace_id: a!.traceId,
      span_id: a!.requestSpanId,
      name: 'reference',
      source: 'evaluator',
      value: 0,
      reason: 'numeric: 61 vs expected 60',
    },
    {
      tenant_id: 'acme',
      trace_id: b!.traceId,
      span_id: b!.requestSpanId,
      name: 'reference',
      source: 'evaluator',
      value: 0,
      reason: 'numeric: 7 vs expected 9',
    },
    {
      tenant_id: 'acme',
      trace_id: c!.traceId,
      span_id: c!.requestSpanId,
      name: 'reference',
      source: 'evaluator',
      value: 0,
      reason: 'numeric: 0.25 vs expected 0.5',
    },
    {
      tenant_id: 'acme',
      trace_id: c!.traceId,
      span_id: c!.requestSpanId,
      name: 'heuristics.error',
      source: 'evaluator',
      value: 0,
      reason: 'the call failed: error type "Timeout", HTTP 504',
    },
  ])
}, 180_000)

afterAll(async () => h?.close())

describe('annotation and failure clusters', () => {
  it('annotates a span and the trace from the trace page, attributed to the signed-in key', async () => {
    const turn = data.acmeTurns[2]!
    const page = await h.newPage()
    await signIn(page, h.url, `/traces/${turn.traceId}?span=${turn.requestSpanId}`, READ_KEYS.acme)
    const detail = page.getByRole('complementary', { name: 'Selected span' })
    const spanForm = detail.getByRole('form', { name: 'Annotate span' })
    await expect.poll(() => spanForm.getByText(acmeKeyId).count()).toBe(1)
    await spanForm.getByRole('button', { name: '▼ Bad' }).click()
    await spanForm.getByLabel('Comment').fill('Quoted the wrong order number')
    await spanForm.getByLabel('Your name').fill('Dana')
    await spanForm.getByRole('button', { name: 'Add score' }).click()
    const spanRow = detail.locator('tr[data-score="human.thumbs"]')
    await expect.poll(() => spanRow.count()).toBe(1)
    expect(await spanRow.locator('[data-col=value]').textContent()).toBe('false')
    expect(await spanRow.locator('[data-col=comment]').textContent()).toBe('Quoted the wrong order number')
    expect(await spanRow.locator('[data-col=by]').textContent()).toBe(`Dana (${acmeKeyId})`)

    const traceForm = page.getByRole('form', { name: 'Annotate trace' })
    await traceForm.getByRole('radio', { name: 'Number' }).click()
    expect(await traceForm.getByLabel('Score name').inputValue()).toBe('human.rating')
    await traceForm.getByLabel('Value').fill('0.25')
    await traceForm.getByLabel('Comment').fill('slow and unhelpful')
    await traceForm.getByRole('button', { name: 'Add score' }).click()
    await traceForm.getByRole('status').waitFor()
    await traceForm.getByRole('radio', { name: 'Category' }).click()
    await traceForm.getByLabel('Category').fill('billing')
    await traceForm.getByRole('button', { name: 'Add score' }).click()
    const all = page.getByTestId('scores').last()
    await expect.poll(() => all.locator('tr[data-source=human]').count()).toBe(3)
    await screenshot(page, 'trace-annotated')

    // The API holds them, attributed to the key, with the comment apart from the reason.
    const { scores } = await h.tenant('acme').listScores({ trace_id: turn.traceId, source: 'human' })
    const byName = Object.fromEntries(scores.map((s) => [s.name, s]))
    expect(byName['human.thumbs']).toMatchObject({
      span_id: turn.requestSpanId,
      data_type: 'boolean',
      value: 0,
      comment: 'Quoted the wrong order number',
      reason: '',
      author: acmeKeyId,
      author_name: 'Dana',
      posted_by: 'tenant',
      route: 'support',
    })
    expect(byName['human.rating']).toMatchObject({
      span_id: '',
      data_type: 'numeric',
      value: 0.25,
      comment: 'slow and unhelpful',
      author: acmeKeyId,
    })
    expect(byName['human.category']).toMatchObject({ span_id: '', data_type: 'categorical', label: 'billing' })
    // The admin sees the same scores on the trace.
    const trace = await h.admin.getTrace(turn.traceId)
    expect(
      trace.scores
        .filter((s) => s.source === 'human')
        .map((s) => s.name)
        .sort(),
    ).toEqual(['human.category', 'human.rating', 'human.thumbs'])
  })

  it('shows the annotation as a score name in route statistics on the opted-in route', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/routes', ADMIN_TOKEN)
    await page.getByTestId('route-stats').waitFor()
    await expect
      .poll(() => page.getByLabel('Quality score').locator('option').allTextContents())
      .toContain('human.thumbs')
    await page.getByLabel('Quality score').selectOption('human.thumbs')
    await page.waitForURL(/score=human\.thumbs/)
    const row = page.locator('[data-testid=route-stats] tr[data-route="support"][data-target="openai/gpt-4o-mini"]')
    // One thumbs-down from the previous test: mean 0 over 1 score, as the API says.
    await expect.poll(() => row.locator('[data-col=quality]').textContent()).toBe('0.000 (1)')
    const api = await h.admin.routeStats({ window: '24h', route: 'support', score: 'human.thumbs' })
    expect(api.stats.find((s) => s.target === 'openai/gpt-4o-mini')).toMatchObject({
      quality_mean: 0,
      quality_count: 1,
    })
  })

  it('lists every score of the trace, its spans’ included, on the trace page', async () => {
    const turn = data.acmeTurns[1]!
    const api = await h.admin.getTrace(turn.traceId)
    const spanScores = api.scores.filter((s) => s.span_id)
    expect(spanScores.length).toBeGreaterThan(0)
    const page = await h.newPage()
    // The root span is selected: its own (empty) score list is not the trace's.
    await signIn(page, h.url, `/traces/${turn.traceId}`, ADMIN_TOKEN)
    const all = page.getByTestId('scores').last()
    await expect.poll(() => all.locator('tbody tr').count()).toBe(api.scores.length)
    expect(await all.locator('tr[data-score="helpfulness"]').textContent()).toContain('chat support')
    expect(await page.getByText(`${api.scores.length} score(s) on this trace and its spans`).count()).toBe(1)
    // Clicking a score's span selects it.
    await all.locator('tr[data-score="helpfulness"]').getByRole('button', { name: 'chat support' }).click()
    await page.waitForURL(new RegExp(`span=${turn.requestSpanId}`))
  })

  it('groups failing evaluations into clusters by reason template, with counts and example traces', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/evaluations', ADMIN_TOKEN)
    const clusters = page.getByTestId('failure-clusters')
    await clusters.waitFor()
    const reference = clusters.locator('.failure-group[data-scorer="reference"]')
    expect(await reference.count()).toBe(1)
    expect(await reference.getAttribute('data-count')).toBe('3')
    const summary = await reference.locator('summary').textContent()
    expect(summary).toContain('numeric: <n> vs expected <n>')
    expect(summary).toContain('3 case(s)')
    expect(summary).toContain('3 distinct reasons')
    expect(await reference.locator('li').count()).toBe(3)
    // As the API reports them (the seed's helpfulness and json_valid failures are clusters of one).
    const api = await h.admin.failureClusters({ from: new Date(Date.now() - 86_400_000).toISOString() })
    const shown = await clusters
      .locator('.failure-group')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-scorer')}:${e.getAttribute('data-count')}`))
    expect(shown).toEqual(api.clusters.map((c) => `${c.name}:${c.count}`))
    expect(shown).toContain('heuristics.error:1')
    await screenshot(page, 'failure-clusters')
    // More than five clusters start closed.
    if ((await reference.getAttribute('open')) === null) await reference.locator('summary').click()
    await reference.getByRole('link').first().click()
    await page.waitForURL(/\/traces\/[0-9a-f]{32}\?.*span=/)
  })

  it('opens the API docs at /api/docs without a trailing slash', async () => {
    const page = await h.newPage()
    await page.goto(`${h.collector.url}/api/docs`)
    await expect
      .poll(() => page.locator('.swagger-ui .info .title').textContent(), { timeout: 60_000 })
      .toContain('Loopgate collector query API')
    expect(await page.locator('.opblock-tag', { hasText: 'scores' }).count()).toBeGreaterThan(0)
  })

  it('calls the chargeback page Chargeback and keeps /tenants working', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/tenants?range=24h', ADMIN_TOKEN)
    await page.waitForURL(/\/chargeback\?range=24h/)
    await page.getByTestId('chargeback-table').waitFor()
    expect(
      await page.getByRole('navigation').getByRole('link', { name: 'Chargeback' }).getAttribute('aria-current'),
    ).toBe('page')
    expect(await page.getByRole('navigation').getByText('Tenants').count()).toBe(0)
  })

  it('draws a fresh hour of traffic as points across the range, and decisions across the weights chart', async () => {
    const page = await h.newPage()
    await signIn(page, h.url, '/', ADMIN_TOKEN)
    // The default range (24 h) in hourly bars: 24 periods, not one dot.
    const requests = page.getByRole('figure', { name: 'Requests per hour' })
    await requests.waitFor()
    expect(Number(await requests.getAttribute('data-x'))).toBeGreaterThanOrEqual(24)
    // Latency windows follow the data (the seed spans ~1 h): 12 windows, several with traffic.
    const latency = page.getByRole('figure', { name: 'p95 latency (worst route × target)' })
    await expect.poll(() => latency.getAttribute('data-points').then(Number), { timeout: 60_000 }).toBeGreaterThan(2)
    await page.goto(`${h.url}/routes`)
    const weights = page.getByRole('figure', { name: 'Weights over time · support' })
    await weights.waitFor()
    // The axis starts shortly before the first decision (20 min ago), not 24 h ago.
    const from = Number(await weights.getAttribute('data-x-from'))
    expect(Date.now() / 1000 - from).toBeLessThan(3600)
  })
})
